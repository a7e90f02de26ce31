"""Database tables. API schemas live in api/schemas and never expose these directly."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import JSON, Column, Field, SQLModel

from infra.clock import utcnow
from infra.dbtypes import UtcDateTime
from infra.ids import new_id

TZ = UtcDateTime()


def _enum(enum: type[StrEnum], length: int = 32) -> Any:
    # Stored as plain strings (no native PostgreSQL enum), so adding a value needs no DDL dance.
    # SQLAlchemy stores a member's *name*: a new enum's names must equal its values.
    return sa.Enum(enum, native_enum=False, create_constraint=False, length=length)


class _EnumList(sa.TypeDecorator[list[Any]]):
    """A JSON list of enum values, read back as members (the JSON holds the plain strings)."""

    impl = JSON
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: list[Any] | None, dialect: sa.Dialect) -> Any:
        return None if value is None else [str(self.enum(v)) for v in value]

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> list[Any] | None:
        return None if value is None else [self.enum(v) for v in value]


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(TZ, nullable=nullable, index=index))


class Role(StrEnum):
    viewer = "viewer"
    creator = "creator"
    political_reviewer = "political_reviewer"
    science_reviewer = "science_reviewer"
    admin = "admin"


class UploadMethod(StrEnum):
    """How the bytes of an upload are sent: one signed PUT, parts joined at the end, or one
    ``multipart/form-data`` POST (what WeChat's ``wx.uploadFile`` sends)."""

    PUT = "PUT"
    multipart = "multipart"
    form = "form"


class UploadStatus(StrEnum):
    pending = "pending"
    completed = "completed"
    aborted = "aborted"  # abandoned, and swept


class ContentType(StrEnum):
    video = "video"
    article = "article"


class ContentStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    changes_requested = "changes_requested"
    rejected = "rejected"
    published = "published"
    taken_down = "taken_down"
    withdrawn = "withdrawn"


class Stage(StrEnum):
    machine = "machine"
    political = "political"
    science = "science"


class TaskStatus(StrEnum):
    open = "open"
    approved = "approved"
    rejected = "rejected"
    changes_requested = "changes_requested"
    cancelled = "cancelled"


class Severity(StrEnum):
    block = "block"
    warn = "warn"
    info = "info"


class MediaKind(StrEnum):
    video = "video"
    image = "image"


class MediaStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class RevisionState(StrEnum):
    """Where one revision is; while ``in_review`` its ``stage`` says which review it is in."""

    draft = "draft"
    in_review = "in_review"
    changes_requested = "changes_requested"
    rejected = "rejected"
    published = "published"
    superseded = "superseded"  # was live; a newer revision of the content replaced it
    withdrawn = "withdrawn"


class Action(StrEnum):
    """What can happen to a content in the review workflow (content/workflow.TRANSITIONS)."""

    submit = "submit"
    pass_ = "pass"  # noqa: S105 - the machine stage found nothing blocking; not a password
    block = "block"
    approve = "approve"
    reject = "reject"
    request_changes = "request_changes"
    edit = "edit"  # a new working revision after a decision
    withdraw = "withdraw"
    takedown = "takedown"


class User(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    username: str | None = Field(default=None, unique=True, max_length=64)
    password_hash: str | None = Field(default=None, max_length=255)
    wechat_openid: str | None = Field(default=None, unique=True, max_length=128)
    # Sent by WeChat only when the mini-program belongs to an open-platform account: the same
    # person across that account's apps. Unique like the openid (NULLs do not collide).
    wechat_unionid: str | None = Field(default=None, unique=True, max_length=128)
    display_name: str = Field(max_length=64)
    # An image of the user's own, shown as its display copy. Media rows point back at users, so
    # the constraint is created after both tables (use_alter).
    avatar_media_id: str | None = Field(
        default=None,
        sa_column=Column(
            sa.String(26),
            sa.ForeignKey("media.id", use_alter=True, name="fk_user_avatar_media_id_media"),
            nullable=True,
        ),
    )
    roles: list[Role] = Field(
        default_factory=list, sa_column=Column(_EnumList(Role), nullable=False)
    )
    disciplines: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Topic(SQLModel, table=True):
    slug: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=64)
    position: int = 0


class Audience(SQLModel, table=True):
    slug: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=64)
    position: int = 0


class Discipline(SQLModel, table=True):
    """A field of science: what a content belongs to and what a science reviewer judges.
    Operators manage the list (seeded by the migration that made it)."""

    slug: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=64)
    position: int = 0


class Content(SQLModel, table=True):
    """A piece of content across its revisions. ``status`` is what the contract shows."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    type: ContentType = Field(sa_type=_enum(ContentType))
    owner_id: str = Field(foreign_key="user.id", index=True, max_length=26)
    status: ContentStatus = Field(
        default=ContentStatus.draft, index=True, sa_type=_enum(ContentStatus)
    )
    # The revision being written or reviewed (the newest one).
    working_revision_id: str | None = Field(default=None, max_length=26)
    # The revision the public sees; set while status is published.
    live_revision_id: str | None = Field(default=None, max_length=26)
    published_at: datetime | None = _ts(nullable=True, index=True)
    pinned_until: datetime | None = _ts(nullable=True)
    removed_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class ContentTopic(SQLModel, table=True):
    """Topics of the live revision, for feed filtering."""

    content_id: str = Field(foreign_key="content.id", primary_key=True, max_length=26)
    topic_slug: str = Field(foreign_key="topic.slug", primary_key=True, index=True, max_length=64)


class ContentAudience(SQLModel, table=True):
    """Audiences of the live revision, for feed filtering."""

    content_id: str = Field(foreign_key="content.id", primary_key=True, max_length=26)
    audience_slug: str = Field(
        foreign_key="audience.slug", primary_key=True, index=True, max_length=64
    )


class Revision(SQLModel, table=True):
    """One version of a content item. Immutable once submitted; reviews point at it."""

    __table_args__ = (
        sa.UniqueConstraint("content_id", "number"),
        # At most one revision of an item is under review at a time, enforced by the database.
        sa.Index(
            "uq_revision_one_in_review",
            "content_id",
            unique=True,
            sqlite_where=sa.text("state = 'in_review'"),
            postgresql_where=sa.text("state = 'in_review'"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    content_id: str = Field(foreign_key="content.id", index=True, max_length=26)
    number: int
    author_id: str = Field(foreign_key="user.id", max_length=26)
    state: RevisionState = Field(default=RevisionState.draft, sa_type=_enum(RevisionState))
    stage: Stage | None = Field(default=None, sa_type=_enum(Stage))
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=2000)
    body: str | None = Field(default=None, sa_type=sa.Text)
    media_id: str | None = Field(default=None, foreign_key="media.id", max_length=26)
    cover_media_id: str | None = Field(default=None, foreign_key="media.id", max_length=26)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    audiences: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    discipline: str = Field(max_length=64)
    references: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    findings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    submitted_at: datetime | None = _ts(nullable=True)
    decided_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class RevisionImage(SQLModel, table=True):
    """An image a revision's body shows (`![…](media:<id>)`), checked to be its author's when
    written: the machine stage waits for it, publishing exposes it, and only these references
    get a URL in the body viewers read."""

    __tablename__ = "revision_image"

    revision_id: str = Field(foreign_key="revision.id", primary_key=True, max_length=26)
    media_id: str = Field(foreign_key="media.id", primary_key=True, index=True, max_length=26)


class ReviewTask(SQLModel, table=True):
    """A human review stage of one revision. Claims are leases; exactly one decision wins."""

    __table_args__ = (sa.UniqueConstraint("revision_id", "stage"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    content_id: str = Field(foreign_key="content.id", index=True, max_length=26)
    revision_id: str = Field(foreign_key="revision.id", max_length=26)
    stage: Stage = Field(sa_type=_enum(Stage))
    status: TaskStatus = Field(default=TaskStatus.open, sa_type=_enum(TaskStatus))
    discipline: str = Field(max_length=64)
    claimed_by: str | None = Field(default=None, foreign_key="user.id", max_length=26)
    claim_expires_at: datetime | None = _ts(nullable=True)
    decided_by: str | None = Field(default=None, foreign_key="user.id", max_length=26)
    comment: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    decided_at: datetime | None = _ts(nullable=True)


class ReviewEvent(SQLModel, table=True):
    """Append-only audit log of every workflow transition (triggers forbid UPDATE and DELETE)."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    content_id: str = Field(foreign_key="content.id", index=True, max_length=26)
    revision_id: str | None = Field(default=None, foreign_key="revision.id", max_length=26)
    revision_number: int | None = None
    actor_id: str | None = Field(default=None, foreign_key="user.id", max_length=26)
    action: Action = Field(sa_type=_enum(Action))
    stage: Stage | None = Field(default=None, sa_type=_enum(Stage, length=16))
    from_status: ContentStatus = Field(sa_type=_enum(ContentStatus))
    to_status: ContentStatus = Field(sa_type=_enum(ContentStatus))
    comment: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class ScreeningTerm(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    term: str = Field(unique=True, max_length=100)
    category: str = Field(max_length=32)
    severity: Severity = Field(sa_type=_enum(Severity))
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    # The term as screening matches it (case, width, traditional/simplified, separators folded):
    # unique, so "Falun Gong" and "falun gong" cannot both be entered. Null only for rows that
    # collided when the column was added.
    key: str | None = Field(default=None, max_length=200, sa_column_kwargs={"unique": True})
    # Also match its pinyin spelling and homophones (terms of three or more Chinese characters).
    pinyin: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class ScreeningVersion(SQLModel, table=True):
    """One row: the version of the screening dictionary and rumor library, bumped by every change,
    so every API and worker process notices a change before its next screening."""

    __tablename__ = "screening_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Rumor(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    claim: str = Field(max_length=500)
    truth: str = Field(sa_type=sa.Text)
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


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
    # Where published renditions are publicly readable (CDN mode); removed again on takedown.
    public_prefix: str | None = Field(default=None, max_length=100)
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


class ReactionKind(StrEnum):
    like = "like"
    favorite = "favorite"


class ContentStats(SQLModel, table=True):
    """Counters of one content, each counting people (docs/feeds.md, "Counting people"). Likes,
    favourites and shares change in the same transaction as their rows (so they are exact);
    views arrive in batches from the Redis buffer."""

    content_id: str = Field(foreign_key="content.id", primary_key=True, max_length=26)
    views: int = Field(default=0, sa_type=sa.BigInteger)  # a person's views count once a day
    viewers: int = 0  # distinct people who viewed
    completions: int = 0  # distinct people the server saw get through 90 %
    watched_s: float = 0.0  # seconds credited: each person's furthest point, once a day
    likes: int = 0
    favorites: int = 0
    shares: int = Field(default=0, sa_type=sa.BigInteger)
    comments: int = 0
    # The rank on the hot feed (content/feeds/ranking.py), kept here for the database fallback.
    hot_score: float = Field(default=0.0, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Reaction(SQLModel, table=True):
    """A like or a favourite: one row per person, content and kind (the key makes it idempotent)."""

    user_id: str = Field(foreign_key="user.id", primary_key=True, max_length=26)
    content_id: str = Field(foreign_key="content.id", primary_key=True, index=True, max_length=26)
    kind: ReactionKind = Field(primary_key=True, sa_type=_enum(ReactionKind))
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Follow(SQLModel, table=True):
    follower_id: str = Field(foreign_key="user.id", primary_key=True, max_length=26)
    creator_id: str = Field(foreign_key="user.id", primary_key=True, index=True, max_length=26)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class ContentViewer(SQLModel, table=True):
    """What one person watched or read of one content, as the server saw it: a view a day, the
    furthest point credited, and whether they ever finished (content/engagement/views.py)."""

    content_id: str = Field(foreign_key="content.id", primary_key=True, max_length=26)
    user_id: str = Field(foreign_key="user.id", primary_key=True, max_length=26)
    views: int = 0  # counting windows (a day each) with a view
    watched_s: float = 0.0  # the furthest point credited in the current window, in seconds
    # The furthest share of the content credited in the current window (0–1).
    progress: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    completed: bool = False
    window_at: datetime | None = _ts(nullable=True)  # when the current counting window began
    play_at: datetime | None = _ts(nullable=True)  # when the server saw the current play start
    first_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    last_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Share(SQLModel, table=True):
    """A share: one row per person and content (the key makes a repeated share count once)."""

    user_id: str = Field(foreign_key="user.id", primary_key=True, max_length=26)
    content_id: str = Field(foreign_key="content.id", primary_key=True, index=True, max_length=26)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class FlushedBatch(SQLModel, table=True):
    """A batch of buffered views and shares already written: a batch flushed again (its worker
    died between the commit and the Redis cleanup) is recognised and skipped."""

    id: str = Field(primary_key=True, max_length=64)
    flushed_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class JobOutbox(SQLModel, table=True):
    """A job some change needs, written in the same transaction as that change (the database,
    not the queue, is the truth). Relayed to the queue after the commit, marked when a worker
    takes it, deleted when it is done; see content/jobs.py and docs/jobs.md."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=64)
    args: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str = Field(default="", max_length=64, index=True)  # the id the job is about
    # When a worker should have taken it by (enqueued, or due again after a retry delay).
    due_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(TZ, nullable=False, index=True)
    )
    relays: int = 0  # how many times the relay enqueued it again
    taken_by: str | None = Field(default=None, max_length=64)  # the delivery (queue task id)
    taken_at: datetime | None = _ts(nullable=True)
    heartbeat_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


# The segmented words of a searchable text: a tsvector on PostgreSQL (GIN-indexed); SQLite
# keeps the words in an FTS5 table beside it instead (content/search/, docs/search.md).
_WORDS = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")


class SearchDocument(SQLModel, table=True):
    """One published content as search finds it: the live revision's words, written in the
    transaction that publishes it and deleted in the one that takes it off (docs/search.md)."""

    __table_args__ = (
        sa.Index("ix_searchdocument_words", "words", postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    # An integer key: SQLite's FTS5 table holds each document's words under this rowid.
    id: int | None = Field(default=None, primary_key=True)
    content_id: str = Field(foreign_key="content.id", unique=True, max_length=26)
    revision_id: str = Field(foreign_key="revision.id", max_length=26)
    words: str | None = Field(default=None, sa_column=Column(_WORDS, nullable=True))
    # PostgreSQL: the title's and summary's words alone, small enough to stay in the row, which
    # ranking reads (the whole text is only ever matched through the GIN index).
    head: str | None = Field(default=None, sa_column=Column(_WORDS, nullable=True))
    # The content's, copied here so the newest matches are found by walking this index.
    published_at: datetime = Field(sa_column=Column(TZ, nullable=False, index=True))
    indexed_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
