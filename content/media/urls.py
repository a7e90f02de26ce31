"""Links to media for the people allowed to see it: short-lived signed URLs by default, the
public/CDN base URL only for published media."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.kit import ImageSource
from content.media.exposure import public_key
from content.media.images import display_size
from content.models import Media, MediaKind, MediaStatus
from infra.settings import Settings
from infra.storage.base import Storage


@dataclass
class MediaLinks:
    cover_url: str | None = None
    preview_url: str | None = None
    duration_s: float | None = None
    renditions: list[dict[str, Any]] = field(default_factory=list)


async def _url(storage: Storage, settings: Settings, media: Media, key: str, public: bool) -> str:
    shared = public_key(media, key) if public else None
    url = storage.public_url(shared) if shared else None
    return url or await storage.presign_get(key, settings.download_url_ttl_seconds)


async def links(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    media_ids: Iterable[str | None],
    *,
    public: bool,
) -> dict[str, MediaLinks]:
    """Links for each ready media id (others are left out)."""
    ids = {m for m in media_ids if m}
    if not ids:
        return {}
    rows = await session.exec(
        select(Media).where(col(Media.id).in_(ids), Media.status == MediaStatus.ready)
    )
    out: dict[str, MediaLinks] = {}
    for media in rows.all():
        item = MediaLinks(duration_s=media.duration_s)
        if media.kind == MediaKind.image:
            if media.cover_key:  # the display copy; the original is never handed out
                item.cover_url = await _url(storage, settings, media, media.cover_key, public)
        else:
            if media.cover_key:
                item.cover_url = await _url(storage, settings, media, media.cover_key, public)
            if media.preview_key:
                item.preview_url = await _url(storage, settings, media, media.preview_key, public)
            for r in media.renditions:
                item.renditions.append(
                    {**r, "url": await _url(storage, settings, media, r["key"], public)}
                )
        out[media.id] = item
    return out


async def image_sources(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    media_ids: Iterable[str],
    *,
    public: bool,
) -> dict[str, ImageSource]:
    """Where each ready image of ``media_ids`` is loaded from (its display copy, never the
    original) and the size it is served at; others are left out. ``public`` as for `links`:
    the CDN copy once the media is published and copied, otherwise a signed URL."""
    ids = set(media_ids)
    if not ids:
        return {}
    rows = await session.exec(
        select(Media).where(
            col(Media.id).in_(ids),
            Media.kind == MediaKind.image,
            Media.status == MediaStatus.ready,
        )
    )
    out: dict[str, ImageSource] = {}
    for media in rows.all():
        if not (media.cover_key and media.width and media.height):
            continue  # a ready image always has them; nothing to show otherwise
        width, height = display_size(media.width, media.height)
        url = await _url(storage, settings, media, media.cover_key, public)
        out[media.id] = ImageSource(url, width, height)
    return out
