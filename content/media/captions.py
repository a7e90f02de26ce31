"""A video's subtitles: its owner attaches or removes them while no revision under review or
published uses the video (docs/subtitles.md); stored as our own clean WebVTT file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import anyio
import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Conflict, Invalid, NotFound
from content.media import keys, subtitles
from content.media.uploads import MediaView
from content.models import Media, MediaKind, MediaStatus, Revision, RevisionState, User
from infra.clock import utcnow
from infra.settings import Settings
from infra.storage.base import Storage

# The revisions whose text reviewers judged (or are judging) with these subtitles, or that
# viewers see: their video's subtitles stay as they were.
_LOCKING = (RevisionState.in_review, RevisionState.published)
CONTENT_TYPE = "text/vtt"


async def attach(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    user: User,
    media_id: str,
    data: bytes,
) -> MediaView:
    """Check ``data`` (a WebVTT or SRT file) and make it the video's subtitles, replacing any."""
    media = await _owned_video(session, user, media_id)
    cues = subtitles.parse(data, max_bytes=settings.max_subtitle_bytes, duration_s=media.duration_s)
    key = keys.captions_key(media.id)
    # The row is updated (and, on PostgreSQL, locked until the commit) before the file is
    # written: of two PUTs at once the second writes its file after the first committed, so
    # the file and the cues on the row are always the same upload's.
    await _set(session, media, key, cues)
    await _store(storage, key, subtitles.to_webvtt(cues))
    return MediaView(media, private=True)


async def remove(session: AsyncSession, storage: Storage, user: User, media_id: str) -> MediaView:
    """Remove the video's subtitles (none: nothing to do)."""
    media = await _owned_video(session, user, media_id)
    key = media.captions_key
    if key is not None:
        await _set(session, media, None, [])
        await storage.delete(key)
    return MediaView(media, private=True)


async def _owned_video(session: AsyncSession, user: User, media_id: str) -> Media:
    media = await session.get(Media, media_id)
    if media is None or media.owner_id != user.id:
        # As for any media one may not change: whether it exists is not told.
        raise NotFound("no such media", code="media.not_found")
    if media.kind != MediaKind.video:
        raise Invalid(
            "subtitles go with a video; this media is an image", code="subtitles.not_video"
        )
    if media.status != MediaStatus.ready:
        raise Conflict(
            "the video is not ready yet; add its subtitles once it has been processed",
            code="subtitles.not_ready",
        )
    return media


async def _set(
    session: AsyncSession, media: Media, key: str | None, cues: list[dict[str, Any]]
) -> None:
    locking = sa.exists(
        select(Revision.id).where(Revision.media_id == media.id, col(Revision.state).in_(_LOCKING))
    )
    result = await session.exec(
        sa.update(Media)
        .where(col(Media.id) == media.id, ~locking)
        .values(captions_key=key, captions=cues, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(
            "this video's subtitles cannot change while content using it is in review or "
            "published (reviewers judged them, viewers see them): upload the video again, "
            "add the new subtitles to it and edit the content to use it in a new revision",
            code="subtitles.locked",
        )
    await session.refresh(media)


async def _store(storage: Storage, key: str, text: str) -> None:
    def write() -> Path:
        with tempfile.NamedTemporaryFile("wb", suffix=".vtt", delete=False) as file:
            file.write(text.encode("utf-8"))
            return Path(file.name)

    path = await anyio.to_thread.run_sync(write)
    try:
        await storage.upload_from(path, key, CONTENT_TYPE)
    finally:
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))
