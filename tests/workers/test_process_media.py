"""The processing policy the `process_media` job follows: transient failures are retried with a
growing delay and then given up on, a bug fails at once with a generic reason (its traceback in
the log), and neither ever shows the raw error to the creator."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from content.media import processing
from content.media.failures import GAVE_UP_REASON, INTERNAL_REASON
from content.models import Media, MediaKind, MediaStatus
from infra.services import Services
from infra.storage.base import StorageUnavailable
from tests import factories as f
from tests.media_files import png


class Failing:
    """The session's real storage, except that downloading raises ``error``."""

    def __init__(self, storage: Any, error: Exception) -> None:
        self._storage, self._error = storage, error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    async def download_to(self, key: str, path: Path) -> None:
        raise self._error


async def _image_media(services: Services, tmp_path: Path) -> str:
    owner = await f.person(services, "creator")
    png(tmp_path / "c.png")
    return await f.stored_media(services, owner, tmp_path / "c.png", MediaKind.image, "image/png")


async def _media(services: Services, media_id: str) -> Media:
    async with services.read_sessions() as session:
        media = await session.get(Media, media_id)
        assert media is not None
        return media


async def test_an_unexpected_error_fails_at_once_with_a_generic_reason_and_a_logged_traceback(
    services: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    media_id = await _image_media(services, tmp_path)
    storage = Failing(services.storage, KeyError("secret internal detail"))

    with caplog.at_level(logging.ERROR):
        outcome = await processing.run(f.writer(services), storage, services.settings, media_id)

    assert outcome == processing.Outcome.failed
    media = await _media(services, media_id)
    assert (media.status, media.error, media.attempts) == (MediaStatus.failed, INTERNAL_REASON, 1)
    logged = [r for r in caplog.records if r.exc_info and media_id in r.getMessage()]
    assert logged and "secret internal detail" in str(logged[0].exc_info[1])  # type: ignore[index]


async def test_an_unreachable_store_is_retried_later_then_given_up_on(
    services: Services, tmp_path: Path
) -> None:
    media_id = await _image_media(services, tmp_path)
    storage = Failing(services.storage, StorageUnavailable("connection refused"))
    write = f.writer(services)

    with pytest.raises(processing.RetryLater) as first:
        await processing.run(write, storage, services.settings, media_id)
    assert first.value.delay_s == processing.retry_delay(1) == 30
    media = await _media(services, media_id)
    assert (media.status, media.error, media.attempts) == (MediaStatus.processing, None, 1)

    async with services.write_sessions() as session:  # as if it had failed every time since
        await session.exec(
            sa.update(Media)
            .where(col(Media.id) == media_id)
            .values(attempts=processing.MAX_TRIES - 1)
        )
        await session.commit()
    outcome = await processing.run(write, storage, services.settings, media_id)

    assert outcome == processing.Outcome.failed
    media = await _media(services, media_id)
    assert (media.status, media.error) == (MediaStatus.failed, GAVE_UP_REASON)
    assert "connection refused" not in (media.error or "")


async def test_a_media_item_already_settled_is_skipped(services: Services, tmp_path: Path) -> None:
    media_id = await _image_media(services, tmp_path)
    write = f.writer(services)

    assert await processing.run(write, services.storage, services.settings, media_id) == "ready"
    assert await processing.run(write, services.storage, services.settings, media_id) == "skipped"
    assert (await _media(services, media_id)).attempts == 1
