"""A mini-program team's first day, as the acceptance test of the contract in docs/api.md: the
Python client generated from /api/v1/openapi.json drives the whole flow against the running app,
with only what a mini-program can send.

- `wx.request` is the generated client; every request it makes is recorded, and all of them
  must use a method `wx.request` has (no PATCH).
- `wx.uploadFile` is the one form POST of a file to the URL an upload plan names, with its
  `fields`; `<image>` and `<video>` are GETs of the media URLs the API hands out. Those two
  are plain HTTP, as on a phone.
- Every answer parses into the generated model the document promises, with no field the
  document does not name: what the client cannot read is a contract bug.

A creator logs in with a password, a viewer through WeChat (the tests' stub); the creator
uploads a photo by form and writes an illustrated article, edits it with PUT and submits it;
reviewers claim and approve it; the viewer finds it in the feed and its picture loads. The same
for a short video, whose play rendition streams (ranges included) and whose cover loads. The
viewer follows, likes and favourites, asks in a comment the creator answers, and reads it all
back. The steps of parts built beside this one (`PUT /me` with an avatar, binding WeChat, a
creator's page, my lists, the disciplines, a video card's layout fields) have their places
below: each runs once its route or field is in the document, and does nothing before."""

from __future__ import annotations

import importlib
import re
import secrets
import typing
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from infra.services import Services
from tests import factories as f
from tests import wechat_stub
from tests.helpers import (
    CLIENT_PACKAGE,
    WX_METHODS,
    embedded_settings,
    eventually,
    generated_operation,
    images_in,
    load_media,
    serving,
)
from tests.media_files import gps_latitude_bytes, jpeg_with_gps, video

# How long a step may wait on the worker: a 1 s clip transcodes in a few seconds.
WAIT_S = 60.0


@dataclass
class MiniProgram:
    """What a mini-program has on a phone: `wx.request` (the generated client, every
    request's method and path recorded), `wx.uploadFile`, and media elements."""

    package: ModuleType
    app: FastAPI
    client: httpx.AsyncClient  # the app's own, for storage routes on the local disk
    sent: list[str] = field(default_factory=list)
    _clients: list[Any] = field(default_factory=list)

    @property
    def models(self) -> Any:
        return importlib.import_module(f"{CLIENT_PACKAGE}.models")

    async def _record(self, request: httpx.Request) -> None:
        self.sent.append(f"{request.method} {request.url.path}")

    def wx_request(self, token: str | None = None) -> Any:
        """A generated client, logged in with ``token`` or anonymous."""
        args = {
            "transport": httpx.ASGITransport(app=self.app),
            "event_hooks": {"request": [self._record]},
        }
        base = "http://kepu.test"
        made = (
            self.package.AuthenticatedClient(base_url=base, token=token, httpx_args=args)
            if token
            else self.package.Client(base_url=base, httpx_args=args)
        )
        self._clients.append(made)
        return made

    async def upload_file(self, plan: Any, data: bytes) -> httpx.Response:
        """`wx.uploadFile` with a form plan: `url`, `formData` = `fields`, `name` =
        `file_field`."""
        return await f.send_form(self.client, plan.to_dict(), data)

    async def close(self) -> None:
        for made in self._clients:
            await made.get_async_httpx_client().aclose()


def op(operation_id: str) -> Any:
    found = generated_operation(operation_id)
    assert found is not None, f"the document has no operation {operation_id}"
    return found


def undocumented(parsed: Any, where: str = "") -> list[str]:
    """The fields of an answer the document does not declare (a generated model keeps them in
    `additional_properties`), anywhere in it. Free-form maps (headers, form fields) declare
    none of their own and are left alone."""
    if isinstance(parsed, list):
        return [u for i, item in enumerate(parsed) for u in undocumented(item, f"{where}[{i}]")]
    if not attrs.has(type(parsed)):
        return []
    declared = [a.name for a in attrs.fields(type(parsed)) if a.name != "additional_properties"]
    if not declared:
        return []
    extra = [f"{where}.{name}" for name in getattr(parsed, "additional_properties", {})]
    for name in declared:
        extra += undocumented(getattr(parsed, name), f"{where}.{name}")
    return extra


def answer(response: Any, status: int, model: str, many: bool = False) -> Any:
    """The parsed body of a generated call's response: the status and model the document
    promises for it (a list of them: ``many``), every field declared."""
    assert response.status_code == status, (response.status_code, response.content)
    models = importlib.import_module(f"{CLIENT_PACKAGE}.models")
    expected = getattr(models, model)
    parsed = response.parsed if many else [response.parsed]
    assert isinstance(parsed, list) and parsed, (model, response.content)
    assert all(isinstance(p, expected) for p in parsed), (model, parsed, response.content)
    assert undocumented(response.parsed) == [], (model, undocumented(response.parsed))
    return response.parsed


# -- the steps --------------------------------------------------------------------------------


async def creator_logs_in(phone: MiniProgram, creator: f.Person) -> Any:
    """A creator account an operator made logs in with its password."""
    m = phone.models
    login = await op("login").asyncio_detailed(
        client=phone.wx_request(), body=m.BodyLogin(username=creator.username, password=f.PASSWORD)
    )
    token = answer(login, 200, "TokenOut")
    assert token.token_type == "bearer" and token.expires_in > 0
    me = phone.wx_request(token.access_token)
    who = answer(await op("me").asyncio_detailed(client=me), 200, "UserOut")
    assert who.id == creator.id and m.Role.CREATOR in who.roles
    return me


async def viewer_logs_in(phone: MiniProgram) -> tuple[Any, Any]:
    """A viewer's first `wx.login`: the code is exchanged through the WeChat stub."""
    m = phone.models
    login = await op("wechatLogin").asyncio_detailed(
        client=phone.wx_request(), body=m.WechatLoginIn(code=f"ok-{secrets.token_hex(6)}")
    )
    token = answer(login, 200, "WechatTokenOut")
    assert token.created is True and m.Role.VIEWER in token.user.roles
    assert token.user.display_name  # a name to show before the viewer picks one
    return phone.wx_request(token.access_token), token.user


async def uploaded_by_form(
    phone: MiniProgram, me: Any, data: bytes, content_type: str, filename: str
) -> str:
    """`POST /uploads` asking for a form, `wx.uploadFile`, then `complete`: the media id."""
    m = phone.models
    started = await op("startUpload").asyncio_detailed(
        client=me,
        body=m.UploadIn(
            filename=filename, content_type=content_type, size=len(data), method=m.UploadMethod.FORM
        ),
    )
    plan = answer(started, 201, "UploadOut")
    assert plan.method == m.UploadMethod.FORM and plan.url and plan.file_field
    assert plan.fields is not None and plan.fields["Content-Type"] == content_type
    sent = await phone.upload_file(plan, data)
    assert sent.status_code == 204, sent.text
    # No body: a single-part upload has no parts to name.
    done = await op("completeUpload").asyncio_detailed(plan.upload_id, client=me)
    completed = answer(done, 200, "CompleteOut")
    return str(completed.media_id)


async def ready_media(phone: MiniProgram, me: Any, media_id: str) -> Any:
    """The owner's view of a media item once the worker made it ready."""
    m = phone.models

    async def settled() -> Any:
        media = answer(await op("getMedia").asyncio_detailed(media_id, client=me), 200, "MediaOut")
        return media if media.status in (m.MediaStatus.READY, m.MediaStatus.FAILED) else None

    media = await eventually(settled, within=WAIT_S, interval=0.25)
    assert media.status == m.MediaStatus.READY, media.error
    return media


async def draft_edited_and_submitted(
    phone: MiniProgram, me: Any, create: Any, edit: dict[str, Any]
) -> Any:
    """A draft made with ``create``, edited with PUT (what `wx.request` sends for an edit: a
    partial update, as PATCH), then submitted: the owner's view at the machine stage."""
    m = phone.models
    draft = answer(
        await op("createContent").asyncio_detailed(client=me, body=create), 201, "ContentOut"
    )
    assert draft.status == m.ContentStatus.DRAFT and draft.revision == 1
    put = await op("editContentPut").asyncio_detailed(
        draft.id, client=me, body=m.ContentUpdate.from_dict(edit)
    )
    edited = answer(put, 200, "ContentOut")
    for name, value in edit.items():
        assert getattr(edited, name) == value, name
    assert edited.summary == draft.summary or "summary" in edit  # the rest is kept
    submitted = answer(
        await op("submitContent").asyncio_detailed(draft.id, client=me), 202, "ContentOut"
    )
    assert submitted.status == m.ContentStatus.IN_REVIEW
    assert submitted.review_stage == m.Stage.MACHINE
    return submitted


async def reviewed_and_published(
    phone: MiniProgram, crew: f.Crew, content_id: str, check_task: Any = None
) -> None:
    """Each human stage's reviewer finds the task in their queue, claims it and approves."""
    m = phone.models
    for stage, reviewer in (
        (m.ListTasksStageType0.POLITICAL, crew.political),
        (m.ListTasksStageType0.SCIENCE, crew.science),
    ):
        desk = phone.wx_request(reviewer.token)

        async def queued(desk: Any = desk, stage: Any = stage) -> Any:
            page = answer(
                await op("listTasks").asyncio_detailed(client=desk, stage=stage, limit=50),
                200,
                "PageTaskOut",
            )
            return next((t for t in page.items if t.content_id == content_id), None)

        task = await eventually(queued, within=WAIT_S, interval=0.25)
        assert task.status == m.TaskStatus.OPEN
        if check_task is not None:
            await check_task(task)
        claimed = answer(
            await op("claimTask").asyncio_detailed(task.id, client=desk),
            200,
            "TaskOut",
        )
        assert claimed.claimed_by == reviewer.id and claimed.claim_expires_at is not None
        decided = await op("decideTask").asyncio_detailed(
            claimed.id,
            client=desk,
            body=m.DecisionIn(decision=m.DecisionInDecision.APPROVE, comment="内容准确，同意发布"),
        )
        assert answer(decided, 200, "TaskOut").status == m.TaskStatus.APPROVED


async def viewer_finds_it(phone: MiniProgram, viewer: Any, content_id: str) -> tuple[Any, Any]:
    """The published content's card on the viewer's feed, and its detail; both keep their
    ETag while nothing changes."""
    m = phone.models
    feed = await op("getFeed").asyncio_detailed(client=viewer, tab=m.Tab.LATEST, limit=50)
    page = answer(feed, 200, "PageCardOut")
    [card] = [card for card in page.items if card.id == content_id]
    unchanged = await op("getFeed").asyncio_detailed(
        client=viewer, tab=m.Tab.LATEST, limit=50, if_none_match=feed.headers["etag"]
    )
    assert (unchanged.status_code, unchanged.parsed) == (304, None)
    got = await op("getContent").asyncio_detailed(content_id, client=viewer)
    detail = answer(got, 200, "ContentOut")
    assert detail.status == m.ContentStatus.PUBLISHED and detail.published_at is not None
    assert detail.body is None  # the Markdown source is the author's and reviewers' only
    # The page keeps its ETag: asked again unchanged, the detail is a 304 without a body.
    again = await op("getContent").asyncio_detailed(
        content_id, client=viewer, if_none_match=got.headers["etag"]
    )
    assert (again.status_code, again.content, again.parsed) == (304, b"", None)
    return card, detail


# -- PROFILE AND CARD STEPS: each runs once its route or field is in the document ----------------


def route(spec: dict[str, Any], method: str, path: str) -> Any:
    """The generated operation serving ``method path`` (whatever its parameters are named), or
    None while the document lacks it."""
    shape = re.sub(r"\{[^}]*\}", "{}", f"/api/v1{path}")
    for served, operations in spec["paths"].items():
        if re.sub(r"\{[^}]*\}", "{}", served) == shape and method.lower() in operations:
            return generated_operation(operations[method.lower()]["operationId"])
    return None


def body_model(operation: Any, fields: dict[str, Any]) -> Any:
    """The request body of ``operation``, as its generated model, from JSON ``fields``."""
    hints = typing.get_type_hints(operation.asyncio_detailed)
    model = next(t for t in typing.get_args(hints["body"]) or (hints["body"],) if attrs.has(t))
    return model.from_dict(fields)


async def viewer_sets_a_profile(
    phone: MiniProgram, spec: dict[str, Any], viewer: Any, user: Any, avatar: bytes
) -> None:
    """WeChat's nickname and avatar pickers: the avatar (a temporary file) is uploaded as an
    image by form and, once ready, `PUT /me` sets both; the avatar's URL loads."""
    update = route(spec, "PUT", "/me")
    if update is None:
        return
    avatar_id = await uploaded_by_form(phone, viewer, avatar, "image/jpeg", "tmp.jpg")
    await ready_media(phone, viewer, avatar_id)
    body = body_model(update, {"display_name": "爱看科普的小林", "avatar_media_id": avatar_id})
    changed = answer(await update.asyncio_detailed(client=viewer, body=body), 200, "UserOut")
    me = answer(await op("me").asyncio_detailed(client=viewer), 200, "UserOut")
    assert (
        (me.id, me.display_name)
        == (user.id, "爱看科普的小林")
        == (changed.id, changed.display_name)
    )
    shown = await load_media(phone.client, me.avatar_url)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert gps_latitude_bytes() not in shown.content


async def creator_binds_wechat(phone: MiniProgram, spec: dict[str, Any], me: Any) -> None:
    """The operator-made creator, logged in with the password once, binds a WeChat login; the
    next `wx.login` is that creator."""
    bind = route(spec, "POST", "/me/wechat")
    if bind is None:
        return
    code = f"ok-{secrets.token_hex(6)}"
    bound = await bind.asyncio_detailed(client=me, body=body_model(bind, {"code": code}))
    assert answer(bound, 200, "UserOut").wechat_bound is True
    again = await op("wechatLogin").asyncio_detailed(
        client=phone.wx_request(), body=phone.models.WechatLoginIn(code=code)
    )
    token = answer(again, 200, "WechatTokenOut")
    assert token.user.id == bound.parsed.id and token.created is False


async def disciplines_listed(phone: MiniProgram, spec: dict[str, Any], me: Any) -> str:
    """The discipline a creator picks, from `GET /disciplines`."""
    listing = route(spec, "GET", "/disciplines")
    if listing is None:
        return "medicine"
    offered = answer(await listing.asyncio_detailed(client=me), 200, "TopicOut", many=True)
    assert "medicine" in [d.slug for d in offered]
    return "medicine"


async def viewer_reads_their_lists(
    phone: MiniProgram,
    spec: dict[str, Any],
    viewer: Any,
    creator_id: str,
    liked: str,
    kept: str,
) -> None:
    """The creator's page (profile and published contents) and the viewer's likes,
    favourites and follows."""
    page = route(spec, "GET", "/users/{user_id}")
    if page is not None:
        profile = answer(await page.asyncio_detailed(creator_id, client=viewer), 200, "ProfileOut")
        assert (profile.id, profile.following, profile.followers) == (creator_id, True, 1)
        assert profile.published == 2
    published = route(spec, "GET", "/users/{user_id}/contents")
    if published is not None:
        shown = answer(
            await published.asyncio_detailed(creator_id, client=viewer), 200, "PageCardOut"
        )
        assert {card.id for card in shown.items} == {liked, kept}
    for path, model, expected in (
        ("/me/likes", "PageCardOut", liked),
        ("/me/favorites", "PageCardOut", kept),
        ("/me/following", "PageFollowedOut", creator_id),
    ):
        listing = route(spec, "GET", path)
        if listing is not None:
            got = answer(await listing.asyncio_detailed(client=viewer), 200, model)
            assert [item.id for item in got.items] == [expected], path


async def viewer_and_creator_talk(
    phone: MiniProgram, viewer: Any, creator: Any, content_id: str
) -> None:
    """The viewer asks under the article, its creator answers, the viewer likes the answer; the
    thread reads back, signed out with an ETag, signed in with the viewer's like."""
    m = importlib.import_module(f"{CLIENT_PACKAGE}.models")
    asked = await op("postComment").asyncio_detailed(
        content_id, client=viewer, body=m.CommentIn(body="老人打流感疫苗有什么要注意的？")
    )
    question = answer(asked, 201, "CommentOut")
    assert question.status == m.CommentStatus.VISIBLE
    answered = await op("postComment").asyncio_detailed(
        content_id,
        client=creator,
        body=m.CommentIn(body="先问医生，避开发热期", reply_to=question.id),
    )
    reply = answer(answered, 201, "CommentOut")
    liked = answer(
        await op("likeComment").asyncio_detailed(reply.id, client=viewer), 200, "CommentLikeOut"
    )
    assert (liked.likes, liked.liked) == (1, True)
    anyone = phone.wx_request()
    got = await op("listComments").asyncio_detailed(content_id, client=anyone)
    page = answer(got, 200, "CommentPageOut")
    assert [c.id for c in page.items] == [question.id] and page.enabled is True
    assert [r.id for r in page.items[0].replies] == [reply.id]
    again = await op("listComments").asyncio_detailed(
        content_id, client=anyone, if_none_match=got.headers["etag"]
    )
    assert again.status_code == 304
    mine = answer(
        await op("listComments").asyncio_detailed(content_id, client=viewer), 200, "CommentPageOut"
    )
    assert mine.items[0].replies[0].liked is True


async def card_lays_out(phone: MiniProgram, spec: dict[str, Any], card: Any) -> None:
    """A video card carries what a list lays out with before anything loads: the cover's size,
    the orientation, a preview to autoplay."""
    if "orientation" not in spec["components"]["schemas"]["CardOut"]["properties"]:
        return
    assert (card.cover_width, card.cover_height) == (320, 180)
    assert card.orientation == "landscape" and card.duration_s == pytest.approx(1, abs=0.2)
    preview = await load_media(phone.client, card.preview_url)
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("video/")


# -- the day ------------------------------------------------------------------------------------


@dataclass
class Backend:
    app: FastAPI
    client: httpx.AsyncClient
    services: Services


@pytest.fixture(scope="module")
async def embedded(
    tmp_path_factory: pytest.TempPathFactory, wechat_url: str
) -> AsyncIterator[Backend]:
    """The no-install default (SQLite, local disk), with the WeChat stub as its WeChat."""
    settings = embedded_settings(
        tmp_path_factory.mktemp("embedded-day"),
        wechat_appid=wechat_stub.APPID,
        wechat_secret=wechat_stub.SECRET,
        wechat_base_url=wechat_url,
    )
    application = create_app(settings)
    async with serving(application) as client:
        yield Backend(application, client, application.state.services)


@pytest.fixture(params=["s3", "local"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The app on PostgreSQL and S3 (media from SeaweedFS, form uploads to its POST policy), or
    the embedded default (media and form uploads through the API's storage route)."""
    if request.param == "s3":
        get = request.getfixturevalue
        return Backend(get("app"), get("client"), get("services"))
    local: Backend = request.getfixturevalue("embedded")
    return local


@pytest.fixture
async def phone(python_client: ModuleType, backend: Backend) -> AsyncIterator[MiniProgram]:
    made = MiniProgram(python_client, backend.app, backend.client)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture(scope="module")
def media_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, bytes]:
    """A phone photo (1600×1200, with where it was taken), a one-second clip and the square
    picture WeChat's avatar picker hands over."""
    where = tmp_path_factory.mktemp("day")
    photo = jpeg_with_gps(where / "photo.jpg", 1600, 1200).read_bytes()
    clip = video(where / "clip.mp4", 320, 180, seconds=1).read_bytes()
    avatar = jpeg_with_gps(where / "avatar.jpg", 640, 640).read_bytes()
    return photo, clip, avatar


async def test_a_mini_program_drives_the_whole_day_through_the_generated_client(
    phone: MiniProgram, backend: Backend, media_files: tuple[bytes, bytes, bytes]
) -> None:
    m, spec, client = phone.models, backend.app.openapi(), backend.client
    photo, clip, avatar = media_files
    crew = await f.crew(backend.services)

    creator = await creator_logs_in(phone, crew.creator)
    viewer, viewer_user = await viewer_logs_in(phone)
    await viewer_sets_a_profile(phone, spec, viewer, viewer_user, avatar)
    await creator_binds_wechat(phone, spec, creator)
    discipline = await disciplines_listed(phone, spec, creator)

    # Both files go up first: the clip transcodes while the article is reviewed.
    image_id = await uploaded_by_form(phone, creator, photo, "image/jpeg", "photo.jpg")
    clip_id = await uploaded_by_form(phone, creator, clip, "video/mp4", "clip.mp4")
    image = await ready_media(phone, creator, image_id)
    assert image.kind == m.MediaKind.IMAGE and (image.width, image.height) == (1600, 1200)

    # An illustrated article, edited with PUT, reviewed and published.
    body = f"## 流感病毒长什么样\n\n电子显微镜下的样子：\n\n![说明](media:{image_id})\n\n勤洗手。"
    article = await draft_edited_and_submitted(
        phone,
        creator,
        m.ContentCreate.from_dict(f.article(body=body, discipline=discipline)),
        {"title": "显微镜下的流感病毒"},
    )

    async def reviewer_sees_the_picture(task: Any) -> None:
        [img] = images_in(task.content.body_html)
        assert (await load_media(client, img["src"])).status_code == 200

    await reviewed_and_published(phone, crew, article.id, reviewer_sees_the_picture)
    _, detail = await viewer_finds_it(phone, viewer, article.id)
    assert detail.title == "显微镜下的流感病毒" and detail.author.id == crew.creator.id
    [img] = images_in(detail.body_html)
    assert (img["alt"], img["width"], img["height"]) == ("说明", "1080", "810")
    shown = await load_media(client, img["src"])
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.content[:3] == b"\xff\xd8\xff" and gps_latitude_bytes() not in shown.content

    # A short video, the same way; it plays for the viewer.
    media = await ready_media(phone, creator, clip_id)
    assert media.kind == m.MediaKind.VIDEO and media.renditions and media.cover_url
    film = await draft_edited_and_submitted(
        phone,
        creator,
        m.ContentCreate.from_dict(
            f.article(type="video", media_id=clip_id, body=None, title="一分钟看懂地震")
        ),
        {"summary": "地震来了，先躲避，再撤离。"},
    )
    await reviewed_and_published(phone, crew, film.id)
    film_card, shown_film = await viewer_finds_it(phone, viewer, film.id)
    await card_lays_out(phone, spec, film_card)
    assert shown_film.author.display_name and shown_film.stats.likes == 0
    assert shown_film.type_ == m.ContentType.VIDEO
    assert shown_film.duration_s == pytest.approx(1, abs=0.2)
    assert shown_film.play and shown_film.cover_url
    rendition = shown_film.play[0]
    assert rendition.label and (rendition.width, rendition.height) == (320, 180)
    played = await load_media(client, rendition.url)
    assert played.status_code == 200, played.text
    assert played.headers["content-type"].startswith("video/")
    assert played.content[4:8] == b"ftyp"
    seek = await load_media(client, rendition.url, headers={"Range": "bytes=100-199"})
    assert seek.status_code == 206 and seek.content == played.content[100:200]
    assert seek.headers["content-range"] == f"bytes 100-199/{len(played.content)}"
    cover = await load_media(client, shown_film.cover_url)
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/jpeg"

    # The viewer follows the creator, likes the article, keeps the video, and reads it back.
    followed = await op("follow").asyncio_detailed(crew.creator.id, client=viewer)
    assert answer(followed, 200, "FollowOut").following is True
    liked = answer(await op("like").asyncio_detailed(article.id, client=viewer), 200, "StatsOut")
    assert (liked.content_id, liked.likes) == (article.id, 1)
    kept = answer(await op("favorite").asyncio_detailed(film.id, client=viewer), 200, "StatsOut")
    assert (kept.content_id, kept.favorites) == (film.id, 1)
    # `ids=a,b`: how wx.request writes an array in a query.
    mine = await op("myInteractions").asyncio_detailed(
        client=viewer, ids=[f"{article.id},{film.id}"]
    )
    assert [
        (i.content_id, i.liked, i.favorited) for i in answer(mine, 200, "MyInteractions").items
    ] == [
        (article.id, True, False),
        (film.id, False, True),
    ]
    following = answer(
        await op("getFeed").asyncio_detailed(client=viewer, tab=m.Tab.FOLLOWING, limit=50),
        200,
        "PageCardOut",
    )
    assert {article.id, film.id} <= {card.id for card in following.items}
    # Reading and sharing are events the client sends and forgets.
    for content_id in (article.id, film.id):
        started = await op("view").asyncio_detailed(
            content_id, client=viewer, body=m.ViewIn(event=m.ViewEvent.START)
        )
        assert answer(started, 202, "AcceptedOut").content_id == content_id
    shared = await op("share").asyncio_detailed(article.id, client=viewer)
    assert answer(shared, 202, "AcceptedOut").content_id == article.id

    # Refusals parse too, as problem details a client can switch on.
    garbage = await op("myInteractions").asyncio_detailed(client=viewer, ids=["不是编号"])
    problem = answer(garbage, 422, "ProblemDetails")
    assert (problem.code, problem.status) == ("ids.invalid", 422)
    nobody = answer(
        await op("me").asyncio_detailed(client=phone.wx_request()), 401, "ProblemDetails"
    )
    assert nobody.code == "auth.required"
    not_theirs = await op("editContentPut").asyncio_detailed(
        article.id, client=viewer, body=m.ContentUpdate(title="别人的文章")
    )
    assert answer(not_theirs, 404, "ProblemDetails").code == "content.not_found"
    await viewer_reads_their_lists(phone, spec, viewer, crew.creator.id, article.id, film.id)
    await viewer_and_creator_talk(phone, viewer, creator, article.id)

    # Everything went through wx.request's methods; the edits were PUTs, never a PATCH.
    assert phone.sent and {s.split()[0] for s in phone.sent} <= WX_METHODS, phone.sent
    edits = [s for s in phone.sent if s.startswith(("PUT /api/v1/contents/", "PATCH "))]
    assert [e.split()[0] for e in edits] == ["PUT"] * 3  # two edits, and the refused one


async def test_completing_an_upload_needs_no_body_and_takes_null_as_none(
    client: httpx.AsyncClient, services: Services, media_files: tuple[bytes, bytes, bytes]
) -> None:
    """The body of `complete` is optional in the document without being nullable, so the
    generated function sends none when given none; a `null` body still means none."""
    photo = media_files[0]
    creator = await f.person(services, "creator")
    for body in ({}, {"content": b"null"}, {"json": {}}):
        started = await f.start_upload(client, creator, len(photo), "image/jpeg", "photo.jpg")
        plan = started.json()
        assert (await f.send_upload(client, plan, photo)).status_code == 200
        done = await client.post(
            f"/api/v1/uploads/{plan['upload_id']}/complete",
            headers={**creator.auth, "Content-Type": "application/json"},
            **body,
        )
        assert done.status_code == 200, (body, done.text)
        assert done.json()["media_id"] == plan["upload_id"]
