"""Uploaded media and the uploads that bring them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from content.models.columns import TZ, _enum
from content.models.core import MediaKind, MediaStatus, TextReading, UploadMethod, UploadStatus
from infra.clock import utcnow
from infra.ids import new_id


class Media(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=26)
    kind: MediaKind = Field(sa_type=_enum(MediaKind))
    status: MediaStatus = Field(default=MediaStatus.pending, sa_type=_enum(MediaStatus))
    error: str | None = Field(default=None, max_length=500)
    object_key: str = Field(max_length=300)
    content_type: str | None = Field(default=None, max_length=100)
    size: int = Field(sa_type=sa.BigInteger)
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    rotation: int | None = None
    cover_key: str | None = Field(default=None, max_length=300)
    preview_key: str | None = Field(default=None, max_length=300)
    renditions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # What probing found in the original (container, codecs…), for reviewers and support.
    source: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    progress: float | None = None  # 0..1 while processing
    attempts: int = 0
    # Text read off the frames (a video: timed segments, docs/video-text.md) or the picture.
    text_status: TextReading | None = Field(default=None, sa_type=_enum(TextReading, length=16))
    text_error: str | None = Field(default=None, max_length=500)
    text_segments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # The creator's subtitle file, as WebVTT in storage, and its cues (t_start, t_end, text).
    captions_key: str | None = Field(default=None, max_length=300)
    captions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # Where published renditions are publicly readable (CDN mode); removed again on takedown.
    public_prefix: str | None = Field(default=None, max_length=100)
    # Set by `kepu media reprocess` while new renditions are made; the media stays ready.
    reprocess_requested_at: datetime | None = Field(default=None, sa_type=TZ)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Upload(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=26)
    kind: MediaKind = Field(sa_type=_enum(MediaKind))
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int = Field(sa_type=sa.BigInteger)
    object_key: str = Field(max_length=300)
    method: UploadMethod = Field(sa_type=_enum(UploadMethod, length=16))
    s3_upload_id: str | None = Field(default=None, max_length=300)
    part_size: int | None = None
    status: UploadStatus = Field(
        default=UploadStatus.pending, index=True, sa_type=_enum(UploadStatus, length=16)
    )
    media_id: str | None = Field(default=None, foreign_key="media.id", max_length=26)
    expires_at: datetime = Field(sa_type=TZ)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    # When the sweep cleared the upload key for good (its URL long dead); never swept again.
    swept_at: datetime | None = Field(default=None, sa_type=TZ, index=True)
