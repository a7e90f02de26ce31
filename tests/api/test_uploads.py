"""Cover images uploaded straight to the S3 server through presigned URLs, verified on complete,
and media that stays private until its content is published."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from content.media import exposure, processing, upload_sweep, uploads
from content.models import Media, MediaStatus, Upload, User
from infra.clock import utcnow
from infra.media_probe import probe
from infra.services import Services
from infra.settings import Settings
from infra.storage.base import UploadNotFound
from tests import factories as f
from tests.helpers import eventually, serving
from tests.media_files import png


@pytest.fixture(scope="module")
def cover_png(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return png(tmp_path_factory.mktemp("media") / "cover.png", 2000, 1500)


async def test_cover_image_goes_straight_to_object_storage_and_shows_once_published(
    client: httpx.AsyncClient, services: Services, cover_png: bytes, tmp_path: Path
) -> None:
    crew = await f.crew(services)
    plan = (await f.start_upload(client, crew.creator, len(cover_png))).json()
    assert plan["url"].startswith(f"http://{services.settings.s3_endpoint}/")
    media_id = await f.upload(client, crew.creator, cover_png, filename="封面.png")
    media = await f.settled_media(client, crew.creator, media_id)
    assert media["kind"] == "image" and media["status"] == "ready"
    assert (media["width"], media["height"]) == (2000, 1500)

    # Before publication nobody else can see it.
    assert (await client.get(f"/api/v1/media/{media_id}")).status_code == 404
    content_id = await f.publish(client, crew, cover_media_id=media_id)
    card = next(
        c
        for c in (await client.get("/api/v1/feed", params={"limit": 50})).json()["items"]
        if c["id"] == content_id
    )
    async with httpx.AsyncClient() as outside:
        image = await outside.get(card["cover_url"])
    # Viewers get a display-sized JPEG without the original's metadata, never the original.
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"
    shown = tmp_path / "shown.jpg"
    shown.write_bytes(image.content)
    picture = probe(shown).video
    assert picture is not None and (picture.width, picture.height) == (1080, 810)
    assert (await client.get(f"/api/v1/media/{media_id}")).status_code == 200


async def test_complete_before_the_bytes_arrive_is_409(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    plan = (await f.start_upload(client, creator, 1000)).json()
    resp = await f.complete_upload(client, creator, plan["upload_id"])
    assert resp.status_code == 409 and resp.json()["code"] == "upload.incomplete"


async def test_complete_with_a_size_other_than_declared_is_refused(
    client: httpx.AsyncClient, services: Services, cover_png: bytes
) -> None:
    creator = await f.person(services, "creator")
    plan = (await f.start_upload(client, creator, len(cover_png) + 10)).json()
    await f.send_upload(client, plan, cover_png)
    resp = await f.complete_upload(client, creator, plan["upload_id"])
    assert resp.status_code == 409 and resp.json()["code"] == "upload.size_mismatch"


async def test_a_text_file_named_png_becomes_failed_media_with_a_reason(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    media_id = await f.upload(client, creator, "这不是图片".encode() * 20)
    media = (await client.get(f"/api/v1/media/{media_id}", headers=creator.auth)).json()
    assert media["status"] == "failed" and "PNG" in media["error"]
    resp = await client.post(
        "/api/v1/contents", json=f.article(cover_media_id=media_id), headers=creator.auth
    )
    assert resp.status_code == 201  # allowed as a draft, but never shown: links need ready media
    assert resp.json()["cover_url"] is None
    content_id = resp.json()["id"]
    await f.submit(client, creator, content_id)

    detail = await f.past_machine_stage(client, creator, content_id)
    assert detail["status"] == "rejected"
    assert detail["findings"][0]["field"] == "cover_media_id"


async def test_completing_twice_returns_the_same_media(
    client: httpx.AsyncClient, services: Services, cover_png: bytes
) -> None:
    creator = await f.person(services, "creator")
    plan = (await f.start_upload(client, creator, len(cover_png))).json()
    await f.send_upload(client, plan, cover_png)
    first = (await f.complete_upload(client, creator, plan["upload_id"])).json()
    second = (await f.complete_upload(client, creator, plan["upload_id"])).json()
    assert first["media_id"] == second["media_id"]


async def test_another_users_upload_is_404_and_stays_the_owners(
    client: httpx.AsyncClient, services: Services, cover_png: bytes
) -> None:
    owner = await f.person(services, "creator")
    thief = await f.person(services, "creator")
    plan = (await f.start_upload(client, owner, len(cover_png))).json()
    await f.send_upload(client, plan, cover_png)

    resp = await f.complete_upload(client, thief, plan["upload_id"])

    assert resp.status_code == 404 and resp.json()["code"] == "upload.not_found"
    async with services.read_sessions() as session:
        upload = await session.get(Upload, plan["upload_id"])
        assert upload is not None and (upload.status, upload.media_id) == ("pending", None)
        made = await session.exec(select(Media).where(Media.owner_id == thief.id))
        assert made.all() == []
    done = await f.complete_upload(client, owner, plan["upload_id"])  # the owner's is untouched
    assert done.status_code == 200, done.text


async def test_oversized_image_is_413(client: httpx.AsyncClient, services: Services) -> None:
    creator = await f.person(services, "creator")
    resp = await f.start_upload(client, creator, services.settings.max_image_bytes + 1)
    assert resp.status_code == 413 and resp.json()["code"] == "upload.too_large"


async def test_unknown_content_type_is_422(client: httpx.AsyncClient, services: Services) -> None:
    creator = await f.person(services, "creator")
    resp = await f.start_upload(client, creator, 100, content_type="application/x-msdownload")
    assert f.assert_problem(resp, 422, "invalid")["field"] == "content_type"
    async with services.read_sessions() as session:
        started = await session.exec(select(Upload).where(Upload.owner_id == creator.id))
        assert started.all() == []


async def test_large_upload_is_multipart_and_complete_names_missing_parts(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    part = services.settings.multipart_part_size
    size = 2 * part + 1234
    plan: dict[str, Any] = (await f.start_upload(client, creator, size, "video/mp4")).json()
    assert plan["method"] == "multipart" and plan["part_size"] == part
    assert [p["part_number"] for p in plan["parts"]] == [1, 2, 3]
    data = os.urandom(size)
    etags = {}
    async with httpx.AsyncClient(timeout=60) as outside:
        for p in plan["parts"][:2]:
            n = p["part_number"]
            put = await outside.put(p["url"], content=data[(n - 1) * part : n * part])
            assert put.status_code == 200, put.text
            etags[n] = put.headers["etag"]
        missing = await f.complete_upload(client, creator, plan["upload_id"])
        body = f.assert_problem(missing, 409, "upload.parts_missing")
        assert body["missing_parts"] == [3]
        # The phone re-sends only the part that failed, then completes.
        put = await outside.put(plan["parts"][2]["url"], content=data[2 * part :])
        etags[3] = put.headers["etag"]
    parts = [{"part_number": n, "etag": e} for n, e in sorted(etags.items())]
    done = await f.complete_upload(client, creator, plan["upload_id"], parts=parts)
    assert done.status_code == 200, done.text
    # The joined object now lives where no upload URL points.
    info = await services.storage.stat(f"media/{done.json()['media_id']}/original")
    assert info is not None and info.size == size
    assert await services.storage.stat(f"uploads/{creator.id}/{plan['upload_id']}/original") is None


async def test_tampered_presigned_url_is_rejected_by_storage(
    client: httpx.AsyncClient, services: Services, cover_png: bytes, tmp_path: Path
) -> None:
    creator = await f.person(services, "creator")
    plan = (await f.start_upload(client, creator, len(cover_png))).json()
    tampered = plan["url"].replace("/original", "/other")
    async with httpx.AsyncClient() as outside:
        put = await outside.put(tampered, content=cover_png, headers=plan["headers"])
    assert put.status_code == 403


async def test_abandoned_multipart_upload_is_removed_with_its_parts(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    part = services.settings.multipart_part_size
    plan = (await f.start_upload(client, creator, 2 * part + 10, "video/mp4")).json()
    async with httpx.AsyncClient(timeout=60) as phone:
        put = await phone.put(plan["parts"][0]["url"], content=os.urandom(part))
        assert put.status_code == 200
    async with services.write_sessions() as session:
        # The phone gave up; its URLs expired long ago.
        await session.exec(
            sa.update(Upload)
            .where(Upload.id == plan["upload_id"])
            .values(expires_at=utcnow() - timedelta(days=1))
        )
        await session.commit()
        row = await session.get(Upload, plan["upload_id"])
        assert row is not None and row.s3_upload_id
        stale = await upload_sweep.abandoned(
            session, services.settings.abandoned_upload_grace_seconds
        )
        assert plan["upload_id"] in [u.id for u in stale]
        assert await upload_sweep.clean_up(session, services.storage, row)
        await session.commit()
    with pytest.raises(UploadNotFound):
        await services.storage.list_parts(row.object_key, row.s3_upload_id)
    late = await f.complete_upload(client, creator, plan["upload_id"])
    assert late.status_code == 409 and late.json()["code"] == "upload.closed"


async def test_daily_upload_quota_is_enforced(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    quota = services.settings.upload_quota_bytes_per_day
    big = services.settings.max_video_bytes
    accepted = 0
    while accepted + big <= quota:
        assert (await f.start_upload(client, creator, big, "video/mp4")).status_code == 201
        accepted += big
    resp = await f.start_upload(client, creator, big, "video/mp4")
    assert resp.status_code == 413 and resp.json()["code"] == "upload.quota_exceeded"


async def test_more_bytes_than_declared_are_deleted_at_complete_and_never_counted(
    client: httpx.AsyncClient, services: Services, cover_png: bytes
) -> None:
    # An S3 URL cannot refuse them on the way in (local disk does, see test_local_storage).
    creator = await f.person(services, "creator")
    plan = (await f.start_upload(client, creator, 10)).json()
    put = await f.send_upload(client, plan, cover_png)
    assert put.status_code == 200
    key = f"uploads/{creator.id}/{plan['upload_id']}/original"
    assert await services.storage.stat(key) is not None

    resp = await f.complete_upload(client, creator, plan["upload_id"])

    assert resp.status_code == 409 and resp.json()["code"] == "upload.size_mismatch"
    assert await services.storage.stat(key) is None  # nothing kept
    async with services.read_sessions() as session:
        assert await uploads.used_today(session, await _user(session, creator)) == 10
        upload = await session.get(Upload, plan["upload_id"])
        assert upload is not None and upload.media_id is None


async def test_a_file_sent_as_another_type_is_deleted_at_complete(
    client: httpx.AsyncClient, services: Services, cover_png: bytes
) -> None:
    creator = await f.person(services, "creator")
    plan = (await f.start_upload(client, creator, len(cover_png))).json()
    await f.send_upload(client, plan, cover_png, headers={"Content-Type": "text/html"})

    resp = await f.complete_upload(client, creator, plan["upload_id"])

    assert resp.status_code == 409 and resp.json()["code"] == "upload.type_mismatch"
    key = f"uploads/{creator.id}/{plan['upload_id']}/original"
    assert await services.storage.stat(key) is None


async def test_quota_counts_stored_bytes_of_completed_uploads_and_nothing_of_abandoned_ones(
    client: httpx.AsyncClient, services: Services, cover_png: bytes
) -> None:
    creator = await f.person(services, "creator")
    media_id = await f.upload(client, creator, cover_png)
    open_plan = (await f.start_upload(client, creator, 1000)).json()
    stored = await services.storage.stat(f"media/{media_id}/original")
    assert stored is not None
    async with services.write_sessions() as session:
        user = await _user(session, creator)
        # What was stored, plus what the open upload may still bring.
        assert await uploads.used_today(session, user) == stored.size + 1000
        upload = await session.get(Upload, open_plan["upload_id"])
        assert upload is not None and await upload_sweep.clean_up(session, services.storage, upload)
        await session.commit()
        assert await uploads.used_today(session, user) == stored.size


async def test_a_put_after_complete_cannot_change_what_is_processed(
    client: httpx.AsyncClient, services: Services, cover_png: bytes
) -> None:
    creator = await f.person(services, "creator")
    plan = (await f.start_upload(client, creator, len(cover_png))).json()
    await f.send_upload(client, plan, cover_png)
    done = await f.complete_upload(client, creator, plan["upload_id"])
    media_id = done.json()["media_id"]
    # S3 cannot revoke a presigned URL: the swap lands, but beside what is processed.
    swap = b"<html><script>alert(1)</script></html>".ljust(len(cover_png), b" ")
    await f.send_upload(client, plan, swap)

    async with services.read_sessions() as session:
        media = await session.get(Media, media_id)
        assert media is not None and media.object_key == f"media/{media_id}/original"
    assert await services.storage.read_range(media.object_key, 0, 8) == cover_png[:8]
    # Even processing it again (a retry) reads the original bytes.
    async with services.write_sessions() as session:
        await session.exec(
            sa.update(Media).where(col(Media.id) == media_id).values(status=MediaStatus.pending)
        )
        await session.commit()
    async with services.read_sessions() as session:
        write = f.writer(services)
        outcome = await processing.run(write, services.storage, services.settings, media_id)
        assert outcome == processing.Outcome.ready
        again = await session.get(Media, media_id)
        assert again is not None and (again.width, again.height) == (2000, 1500)


async def test_a_truncated_png_fails_on_its_first_try_with_a_reason_the_creator_can_read(
    client: httpx.AsyncClient, services: Services, cover_png: bytes
) -> None:
    creator = await f.person(services, "creator")
    media_id = await f.upload(client, creator, cover_png[: len(cover_png) // 3])
    media = await f.settled_media(client, creator, media_id)
    assert media["status"] == "failed" and media["attempts"] == 1
    assert "damaged" in media["error"] and "图片" in media["error"]
    assert "@" not in media["error"] and "chunk" not in media["error"]  # no ffmpeg stderr


async def test_takedown_through_the_app_deletes_the_public_cdn_copies(
    settings: Settings, services: Services, cover_png: bytes
) -> None:
    # An app of its own with a CDN configured, on a queue of its own, so its jobs (publishing
    # copies, takedown deleting them) run with that setting.
    cdn = settings.model_copy(
        update={
            "public_media_base_url": "https://cdn.example",
            "queue_name": f"{settings.queue_name}-cdn",
        }
    )
    async with serving(create_app(cdn)) as client:
        crew = await f.crew(services)
        media_id = await f.upload(client, crew.creator, cover_png)
        assert (await f.settled_media(client, crew.creator, media_id))["status"] == "ready"
        content_id = await f.publish(client, crew, cover_media_id=media_id)

        async def copied() -> list[str] | None:
            async with services.read_sessions() as session:
                media = await session.get(Media, media_id, populate_existing=True)
                assert media is not None
                if not media.public_prefix:
                    return None
                return [f"{media.public_prefix}/{k}" for k in exposure.media_keys(media)]

        public: list[str] = await eventually(copied)  # type: ignore[assignment]
        for key in public:
            assert await services.storage.stat(key) is not None
        shown = (await f.get(client, None, content_id)).json()
        assert shown["cover_url"].startswith("https://cdn.example/public/")

        assert (await f.takedown(client, crew.admin, content_id)).status_code == 200

        async def gone() -> bool:
            return all([await services.storage.stat(key) is None for key in public])

        await eventually(gone)


async def _user(session: AsyncSession, who: f.Person) -> User:
    user = await session.get(User, who.id)
    assert user is not None
    return user
