"""Request and response bodies of the HTTP contract. Responses list exactly the contract's fields
(plus a few documented extras); table models never leave the API directly."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from content.models import (
    Action,
    ContentStatus,
    ContentType,
    MediaKind,
    MediaStatus,
    RevisionState,
    Role,
    Severity,
    Stage,
    TaskStatus,
    UploadMethod,
)
from content.review import DECISIONS, MAX_COMMENT, STAGE_RULES
from content.screening import Check

T = TypeVar("T")
Slug = Annotated[str, StringConstraints(max_length=64)]
LongText = Annotated[str, StringConstraints(max_length=200_000)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int


class UserOut(BaseModel):
    id: str
    display_name: str
    roles: list[Role]
    disciplines: list[str]
    username: str | None = None


class WechatLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]


class WechatTokenOut(TokenOut):
    user: UserOut
    created: bool


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, StringConstraints(min_length=3, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    display_name: Annotated[str, StringConstraints(max_length=64)] | None = None
    roles: list[Slug] = Field(default_factory=list, max_length=5)
    disciplines: list[Slug] = Field(default_factory=list, max_length=20)


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


class Author(BaseModel):
    id: str
    display_name: str


class Stats(BaseModel):
    views: int = 0
    likes: int = 0
    favorites: int = 0
    shares: int = 0
    comments: int = 0


class CardOut(BaseModel):
    id: str
    type: ContentType
    title: str
    summary: str
    cover_url: str | None
    duration_s: float | None = None
    topics: list[str]
    audiences: list[str]
    author: Author
    published_at: datetime | None
    pinned: bool
    stats: Stats


class Reference(BaseModel):
    title: str
    url: str | None = None


class Rendition(BaseModel):
    label: str
    url: str
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None


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


class ContentOut(CardOut):
    status: ContentStatus
    review_stage: Stage | None
    body: str | None
    body_html: str | None
    references: list[Reference]
    play: list[Rendition]
    media_id: str | None = None
    cover_media_id: str | None = None
    discipline: str
    revision: int
    revision_status: RevisionState | Stage  # the working revision's stage while in review
    reviewed_by: list[ReviewedBy]
    findings: list[FindingOut] | None = None
    created_at: datetime
    updated_at: datetime


class MyContentOut(CardOut):
    status: ContentStatus
    review_stage: Stage | None
    revision: int
    latest_comment: str | None
    updated_at: datetime


class ReviewEventOut(BaseModel):
    id: str
    revision: int | None
    stage: Stage | None
    action: Action
    decision: Action | None
    from_status: ContentStatus
    to_status: ContentStatus
    actor: Author | None  # who took the action; None for the machine stage
    reviewer: Author | None  # set on review decisions
    comment: str | None
    created_at: datetime


class TaskContent(CardOut):
    body: str | None
    body_html: str | None
    references: list[Reference]
    play: list[Rendition]
    discipline: str


class TaskOut(BaseModel):
    id: str
    content_id: str
    revision: int
    stage: Stage
    status: TaskStatus
    claimed_by: str | None
    claim_expires_at: datetime | None
    decided_by: str | None = None
    comment: str | None = None
    findings: list[FindingOut]
    content: TaskContent


# The human review stages (content.workflow.STAGE_RULES); the service refuses the machine stage.
ReviewStage = Annotated[Stage, WithJsonSchema({"type": "string", "enum": list(STAGE_RULES)})]


def _task_filter(value: str) -> str:
    if value not in {*TaskStatus, "all"}:
        raise ValueError(f"one of {', '.join(TaskStatus)} or all")
    return value


# A task status, or "all".
TaskFilter = Annotated[
    str,
    AfterValidator(_task_filter),
    WithJsonSchema({"type": "string", "enum": [*TaskStatus, "all"]}),
]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The workflow's decisions (content.workflow.DECISIONS); the service refuses other actions.
    decision: Annotated[Action, WithJsonSchema({"type": "string", "enum": sorted(DECISIONS)})]
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT)] | None = None


class TopicOut(BaseModel):
    slug: str
    name: str


class TermIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: Annotated[str, StringConstraints(max_length=200)]
    category: Annotated[str, StringConstraints(max_length=64)]
    severity: Severity
    pinyin: bool = False  # also match its pinyin spelling and homophones


class TermOut(BaseModel):
    id: str
    term: str
    category: str
    severity: Severity
    created_at: datetime
    pinyin: bool = False


class RumorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim: Annotated[str, StringConstraints(max_length=1000)]
    truth: Annotated[str, StringConstraints(max_length=10_000)]
    keywords: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    source: Annotated[str, StringConstraints(max_length=1000)] | None = None


class RumorOut(BaseModel):
    id: str
    claim: str
    truth: str
    keywords: list[str]
    source: str | None
    created_at: datetime


class TakedownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(max_length=1000)]


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: datetime


class StatusOut(BaseModel):
    id: str
    status: ContentStatus
    review_stage: str | None = None
    extra: dict[str, Any] | None = None


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    content_type: Annotated[str, StringConstraints(min_length=3, max_length=100)]
    size: int = Field(ge=0, le=1 << 50)


class PartUrl(BaseModel):
    part_number: int
    url: str


class UploadOut(BaseModel):
    upload_id: str
    method: UploadMethod
    url: str | None = None
    parts: list[PartUrl] | None = None
    part_size: int | None = None
    expires_at: datetime
    headers: dict[str, str] = Field(default_factory=dict)


class PartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    part_number: int = Field(ge=1, le=10_000)
    etag: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parts: list[PartIn] | None = Field(default=None, max_length=10_000)


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


class StatsOut(Stats):
    """A content's counters after a like or favourite (or their withdrawal)."""

    content_id: str
    viewers: int = 0
    completion_rate: float | None = None


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    watched_s: float = Field(description="how far the viewer got, in seconds")
    duration_s: float = Field(description="the length of what was played, in seconds")


class AcceptedOut(BaseModel):
    content_id: str
    accepted: bool = True


class FollowOut(BaseModel):
    creator_id: str
    following: bool
    followers: int


class MyInteraction(BaseModel):
    content_id: str
    liked: bool
    favorited: bool


class MyInteractions(BaseModel):
    items: list[MyInteraction]
