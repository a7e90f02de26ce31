"""Illustrated articles: a body shows an uploaded image as `![说明](media:<id>)`. Only the
author's own images are accepted; reviewers see them before publication through signed URLs;
viewers of the published article get a URL that loads a display-size JPEG without the photo's
metadata, on S3 and on the local-disk default alike; nobody else gets one before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from api.presenters.contents import bodies_html
from content import items, review
from content.errors import Invalid
from content.kit import ImageSource, image_refs, render, resolve_images
from content.media import exposure
from content.models import (
    ContentStatus,
    Media,
    MediaKind,
    MediaStatus,
    RevisionImage,
    User,
)
from infra.media_probe import probe
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import (
    embedded_settings,
    eventually,
    images_in,
    load_media,
    refused,
    serving,
)
from tests.media_files import gps_latitude_bytes, jpeg_with_gps, png

CODE = "body.image_invalid"


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A phone photo, 1600×1200, that says where it was taken."""
    return jpeg_with_gps(tmp_path_factory.mktemp("photo") / "photo.jpg", 1600, 1200).read_bytes()


def illustrated(*media_ids: str) -> str:
    figures = "\n\n".join(f"![显微镜下的流感病毒 {i}](media:{m})" for i, m in enumerate(media_ids))
    return f"## 流感病毒长什么样\n\n电子显微镜下的样子：\n\n{figures}\n\n勤洗手，多通风。"


async def assert_shows_the_photo(
    client: httpx.AsyncClient, body_html: str, tmp_path: Path
) -> dict[str, str]:
    """The one image of ``body_html`` loads as a display-size JPEG without EXIF, at the width
    and height the HTML announces; returns its attributes."""
    [img] = images_in(body_html)
    assert img["alt"] == "显微镜下的流感病毒 0"
    assert (img["width"], img["height"]) == ("1080", "810")
    got = await load_media(client, img["src"])
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "image/jpeg"
    assert got.content[:3] == b"\xff\xd8\xff"
    assert b"Exif" not in got.content and gps_latitude_bytes() not in got.content
    shown = tmp_path / "shown.jpg"
    shown.write_bytes(got.content)
    picture = probe(shown).video
    assert picture is not None and (picture.width, picture.height) == (1080, 810)
    return img


async def test_an_illustrated_article_from_upload_to_published_on_s3(
    client: httpx.AsyncClient, services: Services, photo: bytes, tmp_path: Path
) -> None:
    crew = await f.crew(services)
    media_id = await f.upload(client, crew.creator, photo, "image/jpeg", "photo.jpg")
    content = await f.create(client, crew.creator, body=illustrated(media_id))
    await f.submit(client, crew.creator, content["id"])

    # The reviewer sees the image, through a short-lived signed URL, before publication.
    task = await f.wait_for_task(client, crew.political, "political", content["id"])
    img = await assert_shows_the_photo(client, task["content"]["body_html"], tmp_path)
    assert "X-Amz-Signature" in img["src"]
    detail = (await f.get(client, crew.political, content["id"])).json()
    await assert_shows_the_photo(client, detail["body_html"], tmp_path)
    # Nobody else: no article, and the object behind the URL is not public.
    assert (await f.get(client, None, content["id"])).status_code == 404
    assert (await client.get(f"/api/v1/media/{media_id}")).status_code == 404
    media = await client.get(f"/api/v1/media/{media_id}", headers=crew.political.auth)
    assert media.status_code == 200  # handed a revision showing it
    async with httpx.AsyncClient() as outsider:
        assert (await outsider.get(img["src"].split("?", 1)[0])).status_code == 403

    assert (await f.approve(client, crew.political, task["id"])).status_code == 200
    task = await f.wait_for_task(client, crew.science, "science", content["id"])
    assert (await f.approve(client, crew.science, task["id"])).status_code == 200

    public = (await f.get(client, None, content["id"])).json()
    assert public["status"] == "published"
    await assert_shows_the_photo(client, public["body_html"], tmp_path)
    assert (await client.get(f"/api/v1/media/{media_id}")).status_code == 200

    # Editing the published article starts a new revision that still shows the image.
    edit = await client.patch(
        f"/api/v1/contents/{content['id']}",
        json={"title": "流感病毒的样子"},
        headers=crew.creator.auth,
    )
    assert edit.status_code == 200 and edit.json()["revision"] == 2
    await assert_shows_the_photo(client, edit.json()["body_html"], tmp_path)
    await assert_shows_the_photo(
        client, (await f.get(client, None, content["id"])).json()["body_html"], tmp_path
    )


async def test_a_body_may_show_only_its_authors_own_images(
    client: httpx.AsyncClient, services: Services, photo: bytes
) -> None:
    creator = await f.person(services, "creator")
    other = await f.person(services, "creator")
    theirs = await f.upload(client, other, photo, "image/jpeg", "photo.jpg")
    clip = await f.upload(client, creator, b"\x00" * 2048, "video/mp4", "clip.mp4")
    mine = await f.upload(client, creator, photo, "image/jpeg", "photo.jpg")
    before = await f.my_content_ids(client, creator)

    answers = {}
    for name, ref in (
        ("another's", theirs),
        ("missing", "01J9Z3K4M5N6P7Q8R9S0T1V2W3"),
        ("video", clip),
    ):
        resp = await client.post(
            "/api/v1/contents", json=f.article(body=illustrated(mine, ref)), headers=creator.auth
        )
        body = f.assert_problem(resp, 422, CODE)
        assert body["field"] == "body" or "body" in str(body.get("errors")), body
        answers[name] = body["detail"]
    # Someone else's image and one that does not exist read the same: ids reveal nothing.
    assert answers["another's"].replace(theirs, "X") == answers["missing"].replace(
        "01J9Z3K4M5N6P7Q8R9S0T1V2W3", "X"
    )
    assert await f.my_content_ids(client, creator) == before  # nothing written

    # Editing a draft is held to the same, and a refused edit leaves the draft as it was.
    content = await f.create(client, creator, body=illustrated(mine))
    edit = await client.patch(
        f"/api/v1/contents/{content['id']}",
        json={"body": illustrated(mine, theirs)},
        headers=creator.auth,
    )
    f.assert_problem(edit, 422, CODE)
    kept = (await f.get(client, creator, content["id"])).json()
    assert kept["body"] == illustrated(mine)
    async with services.read_sessions() as session:
        linked = await session.exec(select(RevisionImage.media_id))
        assert theirs not in set(linked.all())


async def image_in_session(session: AsyncSession, owner: User, status: MediaStatus) -> Media:
    """An image media row of ``owner``'s in ``status`` (its bytes are not needed here)."""
    image = Media(
        owner_id=owner.id,
        kind=MediaKind.image,
        status=status,
        object_key="",
        size=10,
        width=1600,
        height=1200,
    )
    image.object_key = f"media/{image.id}/original"
    image.cover_key = f"media/{image.id}/cover.jpg" if status == MediaStatus.ready else None
    session.add(image)
    await session.flush()
    return image


async def test_an_image_that_failed_processing_cannot_be_submitted(
    session: AsyncSession, settings: Settings
) -> None:
    owner = await f.user_in_session(session, "creator")
    image = await image_in_session(session, owner, MediaStatus.processing)
    view = await f.draft_in_session(session, settings, owner.id, body=illustrated(image.id))
    linked = await session.exec(
        select(RevisionImage.media_id).where(RevisionImage.revision_id == view.revision.id)
    )
    assert linked.all() == [image.id]  # still processing: accepted, the machine stage waits

    image.status, image.error = MediaStatus.failed, "图片文件已损坏 / the image is damaged"
    session.add(image)
    await session.flush()
    error = await refused(CODE, items.submit(session, owner, view.content.id))
    assert isinstance(error, Invalid) and error.field == "body"
    assert "damaged" in error.message


async def test_the_machine_stage_waits_for_a_body_image_and_blocks_on_a_failed_one(
    session: AsyncSession, settings: Settings
) -> None:
    owner = await f.user_in_session(session, "creator")
    ready = await image_in_session(session, owner, MediaStatus.ready)
    late = await image_in_session(session, owner, MediaStatus.processing)
    view = await f.draft_in_session(
        session, settings, owner.id, body=illustrated(ready.id, late.id)
    )
    await items.submit(session, owner, view.content.id)
    assert await review.run_machine_stage(session, view.revision.id) == "waiting_for_media"
    assert await review.texts_for_second_opinion(session, view.revision.id) is None

    late.status, late.error = MediaStatus.failed, "图片文件已损坏 / the image is damaged"
    session.add(late)
    await session.flush()
    assert await review.run_machine_stage(session, view.revision.id) == "blocked"
    [finding] = view.revision.findings
    assert (finding["check"], finding["severity"], finding["field"]) == ("media", "block", "body")
    assert finding["message"] == late.error
    assert view.content.status == ContentStatus.rejected


async def test_a_reference_in_code_is_text_not_an_image(
    session: AsyncSession, settings: Settings
) -> None:
    owner = await f.user_in_session(session, "creator")
    body = "写法是 `![说明](media:<id>)`，例如：\n\n    ![图](media:01J9Z3K4M5N6P7Q8R9S0T1V2W3)"
    view = await f.draft_in_session(session, settings, owner.id, body=body)
    assert view.revision.body == body
    linked = await session.exec(
        select(RevisionImage.media_id).where(RevisionImage.revision_id == view.revision.id)
    )
    assert linked.all() == []


async def test_takedown_stops_the_images_being_public(
    settings: Settings, services: Services, photo: bytes, tmp_path: Path
) -> None:
    # An app of its own with a CDN configured, on a queue of its own, so its jobs (publishing
    # copies, takedown deleting them) run with that setting.
    cdn = settings.model_copy(
        update={
            "public_media_base_url": "https://cdn.example",
            "queue_name": f"{settings.queue_name}-images",
        }
    )
    async with serving(create_app(cdn)) as client:
        crew = await f.crew(services)
        media_id = await f.upload(client, crew.creator, photo, "image/jpeg", "photo.jpg")
        assert (await f.settled_media(client, crew.creator, media_id))["status"] == "ready"
        content_id = await f.publish(client, crew, body=illustrated(media_id))

        async def copied() -> list[str] | None:
            async with services.read_sessions() as session:
                media = await session.get(Media, media_id, populate_existing=True)
                assert media is not None
                if not media.public_prefix:
                    return None
                return [f"{media.public_prefix}/{k}" for k in exposure.media_keys(media)]

        public: list[str] = await eventually(copied)  # type: ignore[assignment]
        assert public and all(k.endswith("/cover.jpg") for k in public)  # never the original
        shown = (await f.get(client, None, content_id)).json()
        [img] = images_in(shown["body_html"])
        assert img["src"] == f"https://cdn.example/{public[0]}"
        stored = tmp_path / "public.jpg"
        await services.storage.download_to(public[0], stored)
        assert b"Exif" not in stored.read_bytes()
        # The owner still reads signed URLs: what the CDN serves follows publication only.
        [mine] = images_in((await f.get(client, crew.creator, content_id)).json()["body_html"])
        assert "X-Amz-Signature" in mine["src"]

        assert (await f.takedown(client, crew.admin, content_id)).status_code == 200

        async def gone() -> bool:
            return all([await services.storage.stat(key) is None for key in public])

        await eventually(gone)


# -- the local-disk default ------------------------------------------------------------------


@pytest.fixture(scope="module")
async def embedded(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    app = create_app(embedded_settings(tmp_path_factory.mktemp("images-embedded")))
    async with serving(app) as client:
        yield client, app.state.services


async def test_an_illustrated_article_on_the_local_disk_default(
    embedded: tuple[httpx.AsyncClient, Services], photo: bytes, tmp_path: Path
) -> None:
    client, services = embedded
    crew = await f.crew(services)
    media_id = await f.upload(client, crew.creator, photo, "image/jpeg", "photo.jpg")
    content_id, task_id = await f.in_political(client, crew, body=illustrated(media_id))
    detail = (await f.get(client, crew.political, content_id)).json()
    img = await assert_shows_the_photo(client, detail["body_html"], tmp_path)
    # Without its signature the storage route serves nothing.
    unsigned = urlsplit(img["src"]).path
    assert (await client.get(unsigned)).status_code == 403

    assert (await f.approve(client, crew.political, task_id)).status_code == 200
    task = await f.wait_for_task(client, crew.science, "science", content_id)
    assert (await f.approve(client, crew.science, task["id"])).status_code == 200
    public = (await f.get(client, None, content_id)).json()
    await assert_shows_the_photo(client, public["body_html"], tmp_path)


async def test_a_png_is_served_as_a_jpeg_at_its_own_size(
    embedded: tuple[httpx.AsyncClient, Services], tmp_path: Path
) -> None:
    client, services = embedded
    crew = await f.crew(services)
    small = png(tmp_path / "chart.png", 320, 200)
    media_id = await f.upload(client, crew.creator, small)
    content_id = await f.publish(client, crew, body=illustrated(media_id))
    [img] = images_in((await f.get(client, None, content_id)).json()["body_html"])
    assert (img["width"], img["height"]) == ("320", "200")  # never enlarged
    got = await load_media(client, img["src"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"


# -- the HTML itself -------------------------------------------------------------------------


def test_a_reference_becomes_a_sized_image_and_an_unknown_one_loads_nothing() -> None:
    html_in = render('![图一](media:aaa) ![图二](media:bbb "标题") <img src="MEDIA:aaa" alt="又">')
    assert image_refs('![图一](media:aaa) ![图二](media:bbb "标题") <img src="MEDIA:aaa">') == [
        "aaa",
        "bbb",
    ]
    url = 'https://s3.example/k/cover.jpg?a=1&b="2"'
    out = resolve_images(html_in, {"aaa": ImageSource(url, 1080, 810)})
    [first, second, third] = images_in(out)
    assert first == {"src": url, "alt": "图一", "width": "1080", "height": "810"}
    assert third["src"] == url and third["alt"] == "又"
    assert second == {"alt": "图二", "title": "标题"}  # no source: its text, no src
    assert "&amp;b=&quot;2&quot;" in out  # the URL cannot break out of its attribute


async def test_a_body_never_gets_a_url_for_someone_elses_image(
    session: AsyncSession, settings: Settings, services: Services
) -> None:
    owner = await f.user_in_session(session, "creator")
    other = await f.user_in_session(session, "creator")
    theirs = await image_in_session(session, other, MediaStatus.ready)
    mine = await image_in_session(session, owner, MediaStatus.ready)
    view = await f.draft_in_session(session, settings, owner.id, body=illustrated(mine.id))
    # Written past the checks (a row from before them, or a bug): the reference and even a
    # recorded link to another user's image give no URL.
    view.revision.body = illustrated(mine.id, theirs.id)
    session.add(RevisionImage(revision_id=view.revision.id, media_id=theirs.id))
    await session.flush()
    for public in (True, False):
        shown = await bodies_html(session, services, [view.revision], public=public)
        [first, second] = images_in(shown[view.revision.id] or "")
        assert first["src"] and f"/media/{mine.id}/cover.jpg" in first["src"]
        assert "src" not in second
