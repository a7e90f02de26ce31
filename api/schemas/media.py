"""Uploads straight to object storage, and the media items they become."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.common import Timestamp
from content.models import MediaKind, MediaStatus, TextReading, UploadMethod


class Rendition(BaseModel):
    label: str
    url: str
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None


class Caption(BaseModel):
    """A subtitle track of a video, for the player (the creator's file, cleaned)."""

    lang: str = Field(description="BCP 47 language tag, e.g. zh-CN")
    label: str = Field(description="what the player's track menu shows")
    url: str
    format: str = Field(description="`vtt`: WebVTT")


class TextSegment(BaseModel):
    """A line of text read off a video's frames while it is on screen, or off a picture."""

    t_start: float | None = Field(default=None, description="seconds; null on a picture")
    t_end: float | None = None
    text: str
    box: list[float] | None = Field(
        default=None, description="where it stands: [x0, y0, x1, y1], fractions of the frame"
    )


class MediaText(BaseModel):
    """The text read off a media item, for those who see it unpublished (its owner, reviewers,
    admins): screening and search read it; viewers are never given it."""

    status: TextReading | None = Field(
        description="read; failed (reviewers must watch it all); off (reading is turned off); "
        "null until the media is processed"
    )
    error: str | None = None
    segments: list[TextSegment]


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    content_type: Annotated[str, StringConstraints(min_length=3, max_length=100)]
    size: int = Field(ge=0, le=1 << 50)
    # "form" asks for a multipart/form-data POST (wx.uploadFile); left out, the size decides.
    method: UploadMethod | None = None


class PartUrl(BaseModel):
    part_number: int
    url: str


class UploadOut(BaseModel):
    upload_id: str
    method: UploadMethod
    url: str | None = None
    parts: list[PartUrl] | None = None
    part_size: int | None = None
    expires_at: Timestamp
    headers: dict[str, str] = Field(default_factory=dict)
    # method "form": POST `url` as multipart/form-data with `fields` (wx.uploadFile's formData)
    # and the file under `file_field` (its `name`).
    fields: dict[str, str] | None = None
    file_field: str | None = None


class PartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    part_number: int = Field(ge=1, le=10_000)
    etag: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parts: list[PartIn] | None = Field(default=None, max_length=10_000)

    @model_validator(mode="before")
    @classmethod
    def _null_is_empty(cls, data: Any) -> Any:
        # A JSON `null` body means "nothing to add", as no body does; the schema stays an
        # object so generated clients can leave the body out.
        return {} if data is None else data


class CompleteOut(BaseModel):
    media_id: str
    status: MediaStatus


class MediaOut(BaseModel):
    id: str
    kind: MediaKind
    status: MediaStatus
    error: str | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    size: int
    progress: float | None = None  # 0..1 while processing
    attempts: int = 0
    cover_url: str | None = None
    preview_url: str | None = None
    renditions: list[Rendition]
    captions: list[Caption] = Field(default_factory=list)
    text: MediaText | None = Field(
        default=None, description="the text read off it; null for viewers of published media"
    )
