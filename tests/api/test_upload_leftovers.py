"""What uploads leave in the real S3 server, and the sweep that removes it: bytes PUT again to
a completed upload's URL (S3 cannot revoke it) are gone once it has expired, and a complete
whose commit failed after moving the bytes is finished by a retry, or swept if none comes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Conflict
from content.media import upload_sweep, uploads
from content.models import Media, Upload, User
from infra.clock import utcnow
from infra.services import Services
from tests import factories as f
from tests.media_files import png
from workers.app import sweep_once

# Short enough to wait out in a test: the URL dies after TTL, the sweep acts GRACE later.
TTL, GRACE = 8, 2


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return png(tmp_path_factory.mktemp("media") / "cover.png", 320, 200)


@pytest.fixture
def short(services: Services) -> Services:
    """The test's services with upload URLs that expire in seconds and a short grace."""
    settings = services.settings.model_copy(
        update={"upload_url_ttl_seconds": TTL, "abandoned_upload_grace_seconds": GRACE}
    )
    return dataclasses.replace(services, settings=settings)


async def _start(svc: Services, who: f.Person, data: bytes) -> uploads.UploadPlan:
    """An upload started through the service and its bytes PUT to the signed URL."""
    async with svc.write_sessions() as session:
        plan = await uploads.start(
            session,
            svc.storage,
            svc.settings,
            await _user(session, who),
            filename="cover.png",
            content_type="image/png",
            size=len(data),
        )
        await session.commit()
    assert plan.url is not None
    assert (await _put(plan.url, data)).status_code == 200
    return plan


async def _put(url: str, data: bytes) -> httpx.Response:
    async with httpx.AsyncClient() as phone:
        return await phone.put(url, content=data, headers={"Content-Type": "image/png"})


async def _complete(svc: Services, who: f.Person, upload_id: str, *, commit_fails: bool) -> str:
    """Complete through the service in a transaction of its own; its commit raises when
    ``commit_fails`` (after the bytes were moved, as a lost database connection would)."""
    async with _session(svc, commit_fails=commit_fails) as session:
        user = await _user(session, who)
        media = await uploads.complete(session, svc.storage, svc.settings, user, upload_id, None)
        await session.commit()
        return media.id


class _CommitFailed(Exception):
    pass


async def _user(session: AsyncSession, who: f.Person) -> User:
    user = await session.get(User, who.id)
    assert user is not None
    return user


def _session(svc: Services, *, commit_fails: bool) -> AsyncSession:
    session = svc.write_sessions()
    if commit_fails:

        def refuse(_session: object) -> None:
            raise _CommitFailed("the database went away during the commit")

        event.listen(session.sync_session, "before_commit", refuse)
    return session


async def _row(svc: Services, upload_id: str) -> tuple[Upload, Media | None]:
    async with svc.read_sessions() as session:
        upload = await session.get(Upload, upload_id)
        assert upload is not None
        return upload, await session.get(Media, upload_id)


async def _completed(svc: Services, data: bytes) -> tuple[uploads.UploadPlan, str]:
    """A creator's upload sent and completed; with the id of the media it became."""
    creator = await f.person(svc, "creator")
    plan = await _start(svc, creator, data)
    return plan, await _complete(svc, creator, plan.upload.id, commit_fails=False)


async def _crashed(svc: Services, who: f.Person, data: bytes) -> tuple[uploads.UploadPlan, str]:
    """An upload whose complete moved the bytes, then failed to commit; with the key they are at."""
    plan = await _start(svc, who, data)
    with pytest.raises(_CommitFailed):
        await _complete(svc, who, plan.upload.id, commit_fails=True)
    # The crash window: the bytes sit at the media key, the upload is still pending.
    moved = f"media/{plan.upload.id}/original"
    assert await svc.storage.stat(plan.upload.object_key) is None
    assert await svc.storage.stat(moved) is not None
    upload, media = await _row(svc, plan.upload.id)
    assert (upload.status, upload.media_id, media) == ("pending", None, None)
    return plan, moved


async def _after_expiry(plan: uploads.UploadPlan) -> None:
    """Wait until the upload's URL has expired and the grace has passed."""
    swept_from = plan.upload.expires_at + timedelta(seconds=GRACE + 0.2)
    await asyncio.sleep(max(0.0, (swept_from - utcnow()).total_seconds()))


async def _sweep(svc: Services) -> dict[str, int]:
    return await sweep_once(svc, review_after_s=10**6, media_after_s=10**6)


async def test_bytes_put_again_after_complete_are_swept_once_the_url_is_dead(
    short: Services, image: bytes
) -> None:
    plan, media_id = await _completed(short, image)
    assert plan.url is not None
    # S3 cannot revoke the URL: a bigger file lands at the upload key after complete.
    stray = b"<html><script>alert(1)</script></html>" * 1000
    assert (await _put(plan.url, stray)).status_code == 200
    key = plan.upload.object_key
    assert (await short.storage.stat(key)) is not None

    await _after_expiry(plan)
    swept = await _sweep(short)

    assert swept["upload_keys"] >= 1
    assert await short.storage.stat(key) is None
    original = await short.storage.stat(f"media/{media_id}/original")
    assert original is not None and original.size == len(image)
    assert await short.storage.read_range(f"media/{media_id}/original", 0, 8) == image[:8]
    upload, _ = await _row(short, plan.upload.id)
    assert upload.status == "completed" and upload.swept_at is not None
    async with short.read_sessions() as session:  # swept once, never looked at again
        again = await upload_sweep.spent(session, GRACE)
        assert plan.upload.id not in [s.upload_id for s in again]
    # And nothing can come back: the URL has expired.
    assert (await _put(plan.url, stray)).status_code == 403
    assert await short.storage.stat(key) is None


async def test_a_complete_whose_commit_failed_after_the_move_is_finished_by_a_retry(
    client: httpx.AsyncClient, services: Services, image: bytes
) -> None:
    creator = await f.person(services, "creator")
    plan, moved = await _crashed(services, creator, image)

    media_id = await _complete(services, creator, plan.upload.id, commit_fails=False)

    upload, media = await _row(services, plan.upload.id)
    assert media is not None and media.id == media_id and media.object_key == moved
    assert (upload.status, upload.media_id) == ("completed", media_id)
    assert media.size == len(image)
    assert await services.storage.read_range(moved, 0, 8) == image[:8]
    # Through the API too, completing again answers with that same media.
    url = f"/api/v1/uploads/{plan.upload.id}/complete"
    done = await client.post(url, headers=creator.auth)
    assert done.status_code == 200 and done.json()["media_id"] == media_id


async def test_bytes_moved_by_a_complete_that_never_committed_are_swept(
    short: Services, image: bytes
) -> None:
    plan, moved = await _crashed(short, await f.person(short, "creator"), image)

    await _after_expiry(plan)
    swept = await _sweep(short)

    assert swept["uploads"] >= 1
    assert await short.storage.stat(moved) is None
    assert await short.storage.stat(plan.upload.object_key) is None
    upload, media = await _row(short, plan.upload.id)
    assert (upload.status, media) == ("aborted", None) and upload.swept_at is not None


async def test_media_kept_at_its_upload_key_from_before_the_move_is_never_swept(
    services: Services, image: bytes
) -> None:
    # Media completed before originals moved to media/<id>/original still use the upload key.
    plan, media_id = await _completed(services, image)
    key = plan.upload.object_key
    await services.storage.copy(f"media/{media_id}/original", key)
    async with services.write_sessions() as session:
        await session.exec(sa.update(Media).where(col(Media.id) == media_id).values(object_key=key))
        await session.exec(
            sa.update(Upload)
            .where(col(Upload.id) == plan.upload.id)
            .values(expires_at=utcnow() - timedelta(days=1))
        )
        await session.commit()

    await _sweep(services)

    assert await services.storage.read_range(key, 0, 8) == image[:8]
    upload, _ = await _row(services, plan.upload.id)
    assert upload.swept_at is not None  # looked at once, and never again


async def test_a_complete_racing_one_not_yet_committed_is_told_to_retry_and_gets_its_media(
    services: Services, image: bytes
) -> None:
    creator = await f.person(services, "creator")
    plan = await _start(services, creator, image)
    upload_id = plan.upload.id
    async with services.write_sessions() as first:
        await uploads.complete(
            first, services.storage, services.settings, await _user(first, creator), upload_id, None
        )
        # The second arrives while the first has moved the bytes but not committed yet.
        second = asyncio.create_task(_complete(services, creator, upload_id, commit_fails=False))
        await _waiting_for_a_lock(services)
        await first.commit()
    with pytest.raises(Conflict) as refused:
        await second
    assert refused.value.code == "upload.busy"

    assert await _complete(services, creator, upload_id, commit_fails=False) == upload_id
    async with services.read_sessions() as session:
        made = await session.exec(select(Media).where(col(Media.owner_id) == creator.id))
        assert [m.id for m in made.all()] == [upload_id]


async def _waiting_for_a_lock(services: Services) -> None:
    """Return once another connection to this database waits for a row lock (the barrier)."""
    for _ in range(200):
        async with services.engine.connect() as conn:
            waiting = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the second complete never waited for the first")
