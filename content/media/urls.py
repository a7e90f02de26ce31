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
from content.models import Media, MediaKind, MediaStatus, TextReading
from infra.settings import Settings
from infra.storage.base import Storage

# The one track a creator can attach; its language is the app's.
CAPTIONS_TRACK = {"lang": "zh-CN", "label": "中文", "format": "vtt"}


@dataclass
class MediaLinks:
    cover_url: str | None = None
    preview_url: str | None = None
    duration_s: float | None = None
    renditions: list[dict[str, Any]] = field(default_factory=list)
    captions: list[dict[str, Any]] = field(default_factory=list)  # a video's subtitle tracks
    width: int | None = None  # the media as displayed (a phone's rotation applied)
    height: int | None = None
    cover_width: int | None = None  # the cover as served
    cover_height: int | None = None
    # Only in links for those who see it unpublished (owner, reviewers): the creator's subtitles
    # (WebVTT), and the text read off it (`text_reading`) — which viewers never get: it is there
    # for screening, review and search.
    text_status: TextReading | None = None
    text_error: str | None = None
    text_segments: list[dict[str, Any]] = field(default_factory=list)


async def _url(storage: Storage, settings: Settings, media: Media, key: str, public: bool) -> str:
    shared = public_key(media, key) if public else None
    url = storage.public_url(shared) if shared else None
    # Windowed, so a page rebuilt within the window holds the same URLs (and has the same ETag).
    return url or await storage.presign_get(
        key, settings.download_url_ttl_seconds, window_s=settings.download_url_window_seconds
    )


async def links(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    media_ids: Iterable[str | None],
    *,
    public: bool,
) -> dict[str, MediaLinks]:
    """Links for each ready media id (others are left out); not ``public``, the text read off
    each one too."""
    ids = {m for m in media_ids if m}
    if not ids:
        return {}
    rows = await session.exec(
        select(Media).where(col(Media.id).in_(ids), Media.status == MediaStatus.ready)
    )
    out: dict[str, MediaLinks] = {}
    for media in rows.all():
        cover_w, cover_h = cover_size(media)
        item = MediaLinks(
            duration_s=media.duration_s,
            width=media.width,
            height=media.height,
            cover_width=cover_w,
            cover_height=cover_h,
        )
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
            if media.captions_key:
                url = await _url(storage, settings, media, media.captions_key, public)
                item.captions.append({**CAPTIONS_TRACK, "url": url})
        if not public:
            item.text_status = media.text_status
            item.text_error = media.text_error
            item.text_segments = media.text_segments
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


def cover_size(media: Media) -> tuple[int | None, int | None]:
    """The size of the cover served for ``media``: an image's display copy is its
    `display_size`, a video's cover frame is the size of its largest rendition."""
    if media.kind == MediaKind.video:
        top = max(media.renditions, key=lambda r: r.get("width", 0) or 0, default=None)
        if top and top.get("width") and top.get("height"):
            return int(top["width"]), int(top["height"])
    if not media.width or not media.height:
        return None, None
    return display_size(media.width, media.height)
