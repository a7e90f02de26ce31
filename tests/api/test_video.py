"""Short videos end to end: a phone-style direct upload, the worker pipeline, the review
workflow waiting for the media, playback URLs, and media that is never public before
publication or after takedown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from content.media import exposure
from content.models import Media, Upload
from infra.services import Services
from tests import factories as f
from tests.media_files import audio_only, phone_portrait, truncated, video


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    video(path, 1280, 720, seconds=2)
    return path.read_bytes()


async def upload_video(client: httpx.AsyncClient, who: f.Person, data: bytes) -> str:
    return await f.upload(client, who, data, "video/mp4", filename="clip.mp4")


async def settled(client: httpx.AsyncClient, who: f.Person, media_id: str) -> dict[str, Any]:
    return await f.settled_media(client, who, media_id, within=90)  # a transcode takes a while


async def test_uploaded_video_is_transcoded_into_playable_renditions(
    client: httpx.AsyncClient, services: Services, clip: bytes
) -> None:
    creator = await f.person(services, "creator")
    media_id = await upload_video(client, creator, clip)
    media = await settled(client, creator, media_id)
    assert media["status"] == "ready", media
    assert (media["width"], media["height"]) == (1280, 720)
    assert media["duration_s"] == pytest.approx(2, abs=0.2)
    assert {r["label"] for r in media["renditions"]} >= {"720p", "480p"}
    async with httpx.AsyncClient() as phone:
        for r in media["renditions"]:
            got = await phone.get(r["url"])
            assert got.status_code == 200 and got.content[4:8] == b"ftyp"
        cover = await phone.get(media["cover_url"])
        assert cover.status_code == 200 and cover.content[:3] == b"\xff\xd8\xff"


async def test_video_waits_for_its_media_then_goes_through_review_and_plays_for_everyone(
    client: httpx.AsyncClient, services: Services, clip: bytes
) -> None:
    crew = await f.crew(services)
    media_id = await upload_video(client, crew.creator, clip)
    content = await f.create(
        client, crew.creator, type="video", media_id=media_id, body=None, title="地震来了怎么办"
    )
    await f.submit(client, crew.creator, content["id"])
    task = await f.wait_for_task(client, crew.political, "political", content["id"])
    assert task["content"]["play"], "reviewers need playable URLs"
    assert (await f.approve(client, crew.political, task["id"])).status_code == 200
    task = await f.wait_for_task(client, crew.science, "science", content["id"])
    assert (await f.approve(client, crew.science, task["id"])).status_code == 200

    public = (await f.get(client, None, content["id"])).json()
    assert public["status"] == "published"
    assert public["duration_s"] == pytest.approx(2, abs=0.2)
    async with httpx.AsyncClient() as viewer:
        assert (await viewer.get(public["play"][0]["url"])).status_code == 200
        assert (await viewer.get(public["cover_url"])).status_code == 200


async def test_a_video_that_cannot_be_processed_fails_with_a_reason_and_rejects_its_content(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    media_id = await upload_video(client, crew.creator, b"just text, renamed .mp4\n" * 100)
    media = await settled(client, crew.creator, media_id)
    assert media["status"] == "failed" and media["error"]
    detail = await f.screened(client, crew.creator, type="video", media_id=media_id, body=None)
    assert detail["status"] == "rejected"
    assert detail["findings"][0]["field"] == "media_id"
    assert detail["findings"][0]["message"] == media["error"]


async def test_unpublished_video_is_reachable_only_by_its_owner_and_reviewers(
    client: httpx.AsyncClient, services: Services, clip: bytes
) -> None:
    crew = await f.crew(services)
    stranger = await f.person(services, "creator")
    media_id = await upload_video(client, crew.creator, clip)
    await settled(client, crew.creator, media_id)
    assert (await client.get(f"/api/v1/media/{media_id}")).status_code == 404
    assert (await client.get(f"/api/v1/media/{media_id}", headers=stranger.auth)).status_code == 404
    # Reviewers see it once the workflow hands them a content using it.
    await f.in_political(client, crew, type="video", media_id=media_id, body=None)
    media = (await client.get(f"/api/v1/media/{media_id}", headers=crew.political.auth)).json()
    url = media["renditions"][0]["url"]
    assert "X-Amz-Signature" in url and "X-Amz-Expires" in url  # short-lived, signed
    key = url.split("?", 1)[0]
    async with httpx.AsyncClient() as outsider:
        assert (await outsider.get(key)).status_code == 403  # the bucket itself is private


async def test_takedown_removes_the_public_copies_of_published_media(
    client: httpx.AsyncClient, services: Services, clip: bytes
) -> None:
    crew = await f.crew(services)
    media_id = await upload_video(client, crew.creator, clip)
    content_id = await f.publish(client, crew, type="video", media_id=media_id, body=None)

    cdn = services.settings.model_copy(update={"public_media_base_url": "https://cdn.example"})
    async with services.write_sessions() as session:
        assert await exposure.sync(session, services.storage, cdn, content_id) > 0
        await session.commit()
        media = await session.get(Media, media_id)
        assert media is not None and media.public_prefix
        public = [f"{media.public_prefix}/{k}" for k in exposure.media_keys(media)]
    for key in public:
        assert await services.storage.stat(key) is not None

    assert (await f.takedown(client, crew.admin, content_id)).status_code == 200
    async with services.write_sessions() as session:
        await exposure.sync(session, services.storage, cdn, content_id)
        await session.commit()
    for key in public:
        assert await services.storage.stat(key) is None


async def test_a_portrait_phone_video_stays_portrait(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    creator = await f.person(services, "creator")
    data = phone_portrait(tmp_path / "phone.mov", 1280, 720).read_bytes()
    media = await settled(client, creator, await upload_video(client, creator, data))
    assert media["status"] == "ready", media
    assert (media["width"], media["height"]) == (720, 1280)
    assert all(r["height"] > r["width"] for r in media["renditions"])


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: audio_only(d / "sound.m4a"), "no picture"),
        (lambda d: truncated(video(d / "whole.mp4", 640, 360, 2), d / "cut.mp4"), "incomplete"),
    ],
    ids=["audio-only", "truncated"],
)
async def test_unusable_uploads_fail_with_a_reason_the_creator_can_read(
    client: httpx.AsyncClient,
    services: Services,
    tmp_path: Path,
    make: Callable[[Path], Path],
    words: str,
) -> None:
    creator = await f.person(services, "creator")
    data = make(tmp_path).read_bytes()
    media = await settled(client, creator, await upload_video(client, creator, data))
    assert media["status"] == "failed"
    assert words in media["error"].lower()
    assert " / " in media["error"] and not media["error"].isascii()  # Chinese, then English
    assert media["renditions"] == [] and media["attempts"] == 1  # permanent: not retried


async def test_a_zero_byte_upload_is_refused_up_front(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    resp = await f.start_upload(client, creator, 0, "video/mp4", filename="empty.mp4")
    assert f.assert_problem(resp, 422, "invalid")["field"] == "size"
    async with services.read_sessions() as session:
        started = await session.exec(select(Upload).where(Upload.owner_id == creator.id))
        assert started.all() == []
