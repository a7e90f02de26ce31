"""A creator's subtitle file on a video: read in the encodings Chinese tools write, refused with a
reason (and nothing written) when it is wrong, served as a clean WebVTT captions track to whoever
may play the video, locked while reviewers judge or viewers watch, screened by the machine stage.

One real clip is uploaded and transcoded once; each test gets a ready video of its own that
shares that clip's renditions (a row of its own, as if its owner had uploaded the same file)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from content.media import exposure, keys
from content.models import Media, MediaKind, MediaStatus
from infra.services import Services
from tests import factories as f
from tests.helpers import load_media
from tests.media_files import video

SRT = (
    "1\r\n00:00:00,500 --> 00:00:01,200\r\n<i>地震来了</i>，先躲到桌子下  \r\n\r\n"
    '2\r\n00:00:01,200 --> 00:00:01,900\r\n{\\an8}<font color="#fff">R&D 实验室</font>\r\n'
    "保护好头部\r\n"
)
SRT_CUES = [
    {"t_start": 0.5, "t_end": 1.2, "text": "地震来了，先躲到桌子下"},
    {"t_start": 1.2, "t_end": 1.9, "text": "R&D 实验室\n保护好头部"},
]


@pytest.fixture(scope="module")
async def template(app: FastAPI, tmp_path_factory: pytest.TempPathFactory) -> Media:
    path = tmp_path_factory.mktemp("subtitles") / "clip.mp4"
    video(path, 320, 180, seconds=2)
    services: Services = app.state.services
    client: httpx.AsyncClient = app.state.test_client
    owner = await f.person(services, "creator")
    media_id = await f.upload(client, owner, path.read_bytes(), "video/mp4", "clip.mp4")
    settled = await f.settled_media(client, owner, media_id, within=90)
    assert settled["status"] == "ready", settled
    async with services.write_sessions() as session:
        media = await session.get(Media, media_id)
        assert media is not None
        return media


async def ready_media(
    services: Services, template: Media, owner: f.Person, kind: MediaKind = MediaKind.video
) -> str:
    """A ready media item of ``owner``'s with the template clip's files."""
    copied = template.model_dump(exclude={"id", "owner_id", "kind", "created_at", "updated_at"})
    async with services.write_sessions() as session:
        media = Media(**copied, owner_id=owner.id, kind=kind)
        session.add(media)
        await session.commit()
        return media.id


async def put(
    client: httpx.AsyncClient, who: f.Person, media_id: str, data: Any, **kw: Any
) -> httpx.Response:
    kw.setdefault("headers", {"Content-Type": "application/x-subrip"})
    kw["headers"] = {**who.in_english, **kw["headers"]}
    return await client.put(f"/api/v1/media/{media_id}/subtitles", content=data, **kw)


async def served_webvtt(client: httpx.AsyncClient, captions: list[dict[str, Any]]) -> str:
    [track] = captions
    assert (track["lang"], track["label"], track["format"]) == ("zh-CN", "中文", "vtt")
    got = await load_media(client, track["url"])
    assert got.status_code == 200, got.text
    return got.content.decode("utf-8")


async def nothing_written(
    client: httpx.AsyncClient, services: Services, who: f.Person, mid: str
) -> None:
    media = (await client.get(f"/api/v1/media/{mid}", headers=who.auth)).json()
    assert media["captions"] == []
    assert await services.storage.stat(keys.captions_key(mid)) is None


@pytest.fixture
async def owned(services: Services, template: Media) -> AsyncIterator[tuple[f.Person, str]]:
    owner = await f.person(services, "creator")
    yield owner, await ready_media(services, template, owner)


async def test_srt_in_utf8_or_gbk_becomes_a_clean_webvtt_captions_track(
    client: httpx.AsyncClient, owned: tuple[f.Person, str]
) -> None:
    owner, media_id = owned
    for encoding in ("utf-8", "gbk"):
        resp = await put(client, owner, media_id, SRT.encode(encoding))
        assert resp.status_code == 200, resp.text
        media = resp.json()
        assert media["renditions"]
        served = await served_webvtt(client, media["captions"])
        assert served.startswith("WEBVTT\n")
        assert "00:00:00.500 --> 00:00:01.200\n地震来了，先躲到桌子下\n" in served
        assert "R&amp;D 实验室\n保护好头部" in served and "<" not in served
    assert "X-Amz-Signature" in media["captions"][0]["url"]  # the owner's: signed, short-lived


async def test_utf16_webvtt_sent_as_a_form_file_like_wx_upload_file(
    client: httpx.AsyncClient, services: Services, owned: tuple[f.Person, str]
) -> None:
    owner, media_id = owned
    vtt = (
        "WEBVTT\n\nNOTE from a tool\n\n1\n00:01.000 --> 00:01.800 line:10%\n"
        "<v 主持人>&lt;script&gt;alert(1)&lt;/script&gt;</v>\n\n"
        "00:00.200 --> 00:01.500\n第二位说话人\n"
    )
    resp = await client.put(
        f"/api/v1/media/{media_id}/subtitles",
        headers=owner.auth,
        data={"name": "subs"},
        files={"file": ("subs.vtt", vtt.encode("utf-16"), "application/octet-stream")},
    )
    assert resp.status_code == 200, resp.text
    served = await served_webvtt(client, resp.json()["captions"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in served and "<script>" not in served
    async with services.read_sessions() as session:
        media = await session.get(Media, media_id)
        assert media is not None
        # Overlapping cues (two speakers) are kept, in the order they start.
        assert [c["text"] for c in media.captions] == ["第二位说话人", "<script>alert(1)</script>"]

    gone = await client.delete(f"/api/v1/media/{media_id}/subtitles", headers=owner.auth)
    assert gone.status_code == 200 and gone.json()["captions"] == []
    assert await services.storage.stat(keys.captions_key(media_id)) is None


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x81\x30 \xff\xfe\xfd", "subtitles.encoding"),
        (b"<!DOCTYPE html>\n<html><body><h1>404</h1></body></html>\n", "subtitles.format"),
        (b"1\n-00:00:01,000 --> 00:00:01,500\nx\n", "subtitles.timing"),
        (b"1\n00:00:01,500 --> 00:00:01,000\nx\n", "subtitles.timing"),
        (
            b"1\n00:00:00,000 --> 00:00:01,000\nok\n\n2\n00:00:04,000 --> 00:00:05,000\nx\n",
            "subtitles.timing",
        ),
        (b"WEBVTT\n\nNOTE nothing else\n", "subtitles.empty"),
    ],
)
async def test_a_wrong_file_is_refused_with_what_to_fix_and_nothing_is_written(
    client: httpx.AsyncClient,
    services: Services,
    owned: tuple[f.Person, str],
    data: bytes,
    code: str,
) -> None:
    owner, media_id = owned
    problem = f.assert_problem(await put(client, owner, media_id, data), 422, code)
    if code == "subtitles.timing":
        assert "cue" in problem["detail"]  # which cue to fix
    await nothing_written(client, services, owner, media_id)


async def test_a_huge_body_is_refused_before_it_is_read(
    client: httpx.AsyncClient, services: Services, owned: tuple[f.Person, str]
) -> None:
    owner, media_id = owned
    started = time.monotonic()
    declared = await put(client, owner, media_id, b"0" * (50 << 20))
    f.assert_problem(declared, 413, "request.too_large")
    sent = 0

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        nonlocal sent
        for _ in range(50 << 4):
            sent += 64 << 10
            yield b"1" * (64 << 10)

    f.assert_problem(await put(client, owner, media_id, streamed()), 413, "subtitles.too_large")
    assert sent < 2 * services.settings.max_subtitle_bytes
    assert time.monotonic() - started < 5
    await nothing_written(client, services, owner, media_id)


async def test_only_the_owner_of_a_ready_video_sets_subtitles(
    client: httpx.AsyncClient, services: Services, template: Media, owned: tuple[f.Person, str]
) -> None:
    owner, media_id = owned
    stranger = await f.person(services, "creator")
    f.assert_problem(await put(client, stranger, media_id, SRT.encode()), 404, "media.not_found")
    image = await ready_media(services, template, owner, MediaKind.image)
    f.assert_problem(await put(client, owner, image, SRT.encode()), 422, "subtitles.not_video")
    async with services.write_sessions() as session:
        media = await session.get(Media, media_id)
        assert media is not None
        media.status = MediaStatus.processing
        await session.commit()
    f.assert_problem(await put(client, owner, media_id, SRT.encode()), 409, "subtitles.not_ready")


async def test_captions_are_locked_in_review_served_once_published_and_gone_after_takedown(
    client: httpx.AsyncClient, services: Services, template: Media
) -> None:
    crew = await f.crew(services)
    media_id = await ready_media(services, template, crew.creator)
    assert (await put(client, crew.creator, media_id, SRT.encode())).status_code == 200
    content_id, task_id = await f.in_political(
        client, crew, type="video", media_id=media_id, body=None, title="地震来了怎么办"
    )
    f.assert_problem(
        await put(client, crew.creator, media_id, SRT.encode()), 409, "subtitles.locked"
    )
    gone = await client.delete(f"/api/v1/media/{media_id}/subtitles", headers=crew.creator.auth)
    f.assert_problem(gone, 409, "subtitles.locked")
    assert (await f.approve(client, crew.political, task_id)).status_code == 200
    science = await f.wait_for_task(client, crew.science, "science", content_id)
    assert science["content"]["captions"], "reviewers read the subtitles"
    assert (await f.approve(client, crew.science, science["id"])).status_code == 200

    public = (await f.get(client, None, content_id)).json()
    assert public["status"] == "published"
    assert "地震来了" in await served_webvtt(client, public["captions"])

    cdn = services.settings.model_copy(update={"public_media_base_url": "https://cdn.example"})
    async with services.write_sessions() as session:
        await exposure.sync(session, services.storage, cdn, content_id)
        await session.commit()
        media = await session.get(Media, media_id)
        assert media is not None and media.public_prefix
        copy = keys.public_copy(media.public_prefix, keys.captions_key(media_id))
    assert await services.storage.stat(copy) is not None
    assert (await f.takedown(client, crew.admin, content_id)).status_code == 200
    async with services.write_sessions() as session:
        await exposure.sync(session, services.storage, cdn, content_id)
        await session.commit()
    assert await services.storage.stat(copy) is None


async def test_a_blocked_term_in_a_subtitle_cue_rejects_with_its_moment(
    client: httpx.AsyncClient, services: Services, template: Media
) -> None:
    crew = await f.crew(services)
    media_id = await ready_media(services, template, crew.creator)
    srt = (
        "1\n00:00:00,000 --> 00:00:00,900\n星空漫游\n\n"
        "2\n00:00:01,000 --> 00:00:01,800\n有人支持台独\n"
    )
    assert (await put(client, crew.creator, media_id, srt.encode())).status_code == 200
    content = await f.create(
        client, crew.creator, type="video", media_id=media_id, body=None, title="星空漫游"
    )
    await f.submit(client, crew.creator, content["id"])
    judged = await f.past_machine_stage(client, crew.creator, content["id"])

    assert judged["status"] == "rejected", judged
    [block] = [x for x in judged["findings"] if x["severity"] == "block"]
    assert (block["field"], block["excerpt"]) == ("subtitles", "台独")
    assert (block["t_start"], block["t_end"]) == (1.0, 1.8)
