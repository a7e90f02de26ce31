"""Where media lives in object storage: every key's layout, in one place (docs/media.md)."""

from __future__ import annotations

import secrets

_UPLOADS = "uploads"
_MEDIA = "media"
_PUBLIC = "public"
_ORIGINAL = "original"


def upload_key(owner_id: str, upload_id: str) -> str:
    """Ours, opaque and unguessable: never the client's file name."""
    return f"{_UPLOADS}/{owner_id}/{upload_id}/{_ORIGINAL}"


def is_upload_key(key: str) -> bool:
    return key.startswith(f"{_UPLOADS}/")


def upload_id_of(key: str) -> str | None:
    """The upload a key of `upload_key`'s layout belongs to; None for any other key."""
    segments = key.split("/")
    if len(segments) == 4 and segments[0] == _UPLOADS and segments[3] == _ORIGINAL:
        return segments[2]
    return None


def _media_file(media_id: str, name: str, version: str | None = None) -> str:
    # A reprocess writes under a fresh version, so what is served is never overwritten.
    return f"{_MEDIA}/{media_id}/{version}/{name}" if version else f"{_MEDIA}/{media_id}/{name}"


def new_version() -> str:
    """A fresh folder for one reprocessing of a media item's renditions, cover and preview."""
    return f"v{secrets.token_hex(8)}"


def original_key(media_id: str) -> str:
    """Where a media item's original is kept: a key no upload URL points at."""
    return _media_file(media_id, _ORIGINAL)


def rendition_key(media_id: str, label: str, version: str | None = None) -> str:
    return _media_file(media_id, f"{label}.mp4", version)


def preview_key(media_id: str, version: str | None = None) -> str:
    return _media_file(media_id, "preview.mp4", version)


def cover_key(media_id: str, version: str | None = None) -> str:
    return _media_file(media_id, "cover.jpg", version)


def captions_key(media_id: str) -> str:
    """The creator's subtitles, as the clean WebVTT file we wrote (never their upload)."""
    return _media_file(media_id, "captions.vtt")


def new_public_prefix() -> str:
    """A fresh unguessable prefix for one publication of a media item's files."""
    return f"{_PUBLIC}/{secrets.token_hex(16)}"


def public_copy(prefix: str, key: str) -> str:
    return f"{prefix}/{key}"
