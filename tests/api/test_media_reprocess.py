"""A published video processed again (`kepu media reprocess`, carried out by the processing job):
viewers keep getting the current files while the new ones are made, then the new ones under
fresh keys and a fresh public prefix; the old objects and public copies are gone and the CDN is
asked to forget them; nothing is left behind in storage."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from api.app import create_app
from content.media import exposure, processing
from content.models import Media
from infra.clock import utcnow
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.cdn_stub import CdnStub, bucket_of, bucket_origin, run_cdn_stub
from tests.helpers import eventually, serving
from tests.media_files import video


@pytest.fixture(scope="module")
def stub(settings: Settings) -> Iterator[CdnStub]:
    """The CDN in front of the test bucket, and its purge hook."""
    with run_cdn_stub(bucket_origin(settings)) as running:
        yield running


@pytest.fixture(scope="module")
async def cdn_app(
    settings: Settings, stub: CdnStub
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """An app of its own with public copies behind the CDN, on a queue of its own."""
    cdn = settings.model_copy(
        update={
            "public_media_base_url": stub.media_base_url,
            "cdn_purge_url": stub.url,
            "cdn_purge_token": secrets.token_urlsafe(32),
            "queue_name": f"{settings.queue_name}-reprocess",
        }
    )
    app = create_app(cdn)
    async with serving(app) as client:
        yield client, app.state.services


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("reprocess") / "clip.mp4"
    video(path, 854, 480, seconds=1)
    return path.read_bytes()


def _stored(settings: Settings, prefix: str) -> set[str]:
    bucket = bucket_of(settings)
    found = bucket.list_objects(settings.s3_bucket, prefix=prefix, recursive=True)
    return {str(o.object_name) for o in found}


async def _row(services: Services, media_id: str) -> Media:
    async with services.read_sessions() as session:
        media = await session.get(Media, media_id, populate_existing=True)
        assert media is not None
        return media


async def _played(client: httpx.AsyncClient, content_id: str) -> list[str]:
    """The URLs an anonymous viewer gets for the video, each fetched through the CDN (200)."""
    shown = (await f.get(client, None, content_id)).json()
    urls = [p["url"] for p in shown["play"]] + [shown["cover_url"]]
    async with httpx.AsyncClient() as viewer:
        for url in urls:
            assert (await viewer.get(url)).status_code == 200, url
    return urls


async def _ask_again(services: Services, media_id: str) -> None:
    """What `kepu media reprocess` writes, without its job: the test runs the job itself, so
    it can look midway."""
    async with services.write_sessions() as session:
        await session.exec(
            sa.update(Media)
            .where(col(Media.id) == media_id)
            .values(reprocess_requested_at=utcnow())
        )
        await session.commit()


class Watching:
    """The real storage; on the first new file written, runs ``check`` (what viewers get while
    the reprocess is under way)."""

    def __init__(self, storage: Any, check: Any) -> None:
        self._storage, self._check = storage, check
        self.during: list[str] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    async def upload_from(self, path: Path, key: str, content_type: str) -> None:
        if self.during is None:
            self.during = await self._check()
        await self._storage.upload_from(path, key, content_type)


async def _published_video(
    client: httpx.AsyncClient, services: Services, clip: bytes
) -> tuple[str, Media]:
    crew = await f.crew(services)
    media_id = await f.upload(client, crew.creator, clip, "video/mp4", filename="clip.mp4")
    settled = await f.settled_media(client, crew.creator, media_id, within=90)
    assert settled["status"] == "ready", settled
    content_id = await f.publish(
        client, crew, type="video", media_id=media_id, body=None, title="地震来了怎么办"
    )

    async def copied() -> Media | None:
        media = await _row(services, media_id)
        return media if media.public_prefix else None

    media: Media = await eventually(copied, within=30)  # type: ignore[assignment]
    return content_id, media


async def test_a_published_video_reprocessed_is_served_throughout_then_from_new_files_only(
    cdn_app: tuple[httpx.AsyncClient, Services], stub: CdnStub, clip: bytes
) -> None:
    client, services = cdn_app
    settings = services.settings
    content_id, before = await _published_video(client, services, clip)
    old_urls = await _played(client, content_id)
    old_public = {f"{before.public_prefix}/{k}" for k in exposure.media_keys(before)}
    assert _stored(settings, f"{before.public_prefix}/") == old_public
    await _ask_again(services, before.id)

    storage = Watching(services.storage, lambda: _played(client, content_id))
    outcome = await processing.run(f.writer(services), storage, settings, before.id)

    assert outcome == processing.Outcome.ready
    assert storage.during == old_urls, "viewers kept the current files while new ones were made"
    after = await _row(services, before.id)
    assert after.status == "ready" and after.reprocess_requested_at is None
    assert after.public_prefix and after.public_prefix != before.public_prefix
    assert not set(exposure.media_keys(after)) & set(exposure.media_keys(before))
    new_urls = await _played(client, content_id)
    assert not set(new_urls) & set(old_urls)
    # Nothing orphaned: the original and the new files, the new public copies, and no more.
    assert _stored(settings, f"media/{before.id}/") == {
        after.object_key,
        *exposure.media_keys(after),
    }
    assert _stored(settings, f"{before.public_prefix}/") == set()
    new_public = {f"{after.public_prefix}/{k}" for k in exposure.media_keys(after)}
    assert _stored(settings, f"{after.public_prefix}/") == new_public

    async def purged() -> list[str]:
        return [u for r in stub.taken(content_id) for u in r.body["urls"]]

    asked = await eventually(purged)
    assert set(asked) == {storage.public_url(k) for k in old_public}  # type: ignore[arg-type]


async def test_a_reprocess_whose_request_is_gone_by_the_swap_keeps_the_video_and_leaves_nothing(
    cdn_app: tuple[httpx.AsyncClient, Services], clip: bytes
) -> None:
    client, services = cdn_app
    content_id, before = await _published_video(client, services, clip)
    old_urls = await _played(client, content_id)
    await _ask_again(services, before.id)

    async def withdrawn() -> None:  # as a second request would, or a takedown's clean-up
        await _ask_again(services, before.id)

    storage = Watching(services.storage, withdrawn)
    outcome = await processing.run(f.writer(services), storage, services.settings, before.id)

    assert outcome == processing.Outcome.skipped
    after = await _row(services, before.id)
    assert exposure.media_keys(after) == exposure.media_keys(before)
    assert after.public_prefix == before.public_prefix
    assert await _played(client, content_id) == old_urls
    stored = _stored(services.settings, f"media/{before.id}/")
    assert stored == {before.object_key, *exposure.media_keys(before)}, "new files removed"
