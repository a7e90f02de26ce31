"""Contents as creators write them and as viewers read them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import LongText, Slug, Timestamp
from api.schemas.feed import CardOut
from api.schemas.media import Caption, Rendition
from content.models import ContentStatus, ContentType, RevisionState, Severity, Stage
from content.screening import Check


class ReferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(max_length=500)]
    url: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ContentFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(max_length=1000)] | None = None
    summary: Annotated[str, StringConstraints(max_length=5000)] | None = None
    body: LongText | None = None
    media_id: Slug | None = None
    cover_media_id: Slug | None = None
    topics: list[Slug] | None = Field(default=None, max_length=20)
    audiences: list[Slug] | None = Field(default=None, max_length=10)
    discipline: Slug | None = None
    references: list[ReferenceIn] | None = Field(default=None, max_length=100)


class ContentCreate(ContentFields):
    type: ContentType
    title: Annotated[str, StringConstraints(max_length=1000)]


class ContentUpdate(ContentFields):
    pass


class Reference(BaseModel):
    title: str
    url: str | None = None


class ReviewedBy(BaseModel):
    stage: Stage
    display_name: str


class FindingOut(BaseModel):
    check: Check
    severity: Severity
    field: str
    start: int
    end: int
    excerpt: str
    message: str
    category: str | None = None
    ref: str | None = None  # what produced it (a rumor of the library)
    dictionary_version: int | None = None  # the screening dictionary that produced it
    # Text read off a video (field video_text or subtitles): the seconds it is on screen.
    t_start: float | None = None
    t_end: float | None = None


class ContentOut(CardOut):
    status: ContentStatus
    review_stage: Stage | None
    body: str | None
    body_html: str | None
    references: list[Reference]
    play: list[Rendition]
    captions: list[Caption] = Field(default_factory=list)  # the video's subtitle tracks
    media_id: str | None = None
    cover_media_id: str | None = None
    discipline: str
    revision: int
    revision_status: RevisionState | Stage  # the working revision's stage while in review
    reviewed_by: list[ReviewedBy]
    findings: list[FindingOut] | None = None
    created_at: Timestamp
    updated_at: Timestamp


class MyContentOut(CardOut):
    status: ContentStatus
    review_stage: Stage | None
    revision: int
    latest_comment: str | None
    updated_at: Timestamp
