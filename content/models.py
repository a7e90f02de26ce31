"""Database tables. API schemas live in api/schemas and never expose these directly."""

from __future__ import annotations

from datetime import date, datetime
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
    # Whether viewers may post comments (the owner turns it off and on; what exists stays).
    comments_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
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


class ClaimPattern(SQLModel, table=True):
    """A claim pattern an operator added (docs/screening.md, "Operators' claim patterns")."""

    __tablename__ = "claim_pattern"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    family: str = Field(max_length=32)
    pattern: str = Field(max_length=200)
    # The pattern as it matches (its words folded like the text): unique, so one pattern is not
    # entered twice in two spellings.
    key: str = Field(max_length=400, sa_column_kwargs={"unique": True})
    severity: Severity = Field(sa_type=_enum(Severity))
    message: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


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


class CommentStatus(StrEnum):
    """A comment's life: shown, held for an operator (a screening warning; its author alone sees
    it), deleted by its author, the content's owner or an operator, or removed by an operator's
    decision on a held one."""

    visible = "visible"
    held = "held"
    deleted = "deleted"
    removed = "removed"


class Comment(SQLModel, table=True):
    """A comment on a content, or a reply. Replies hang one level deep: ``parent_id`` is always a
    top-level comment; ``reply_to_id`` is the comment answered (a reply to a reply keeps it)."""

    __table_args__ = (
        sa.Index("ix_comment_thread", "content_id", "parent_id", "status"),
        sa.Index("ix_comment_status_created", "status", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    content_id: str = Field(foreign_key="content.id", max_length=26)
    author_id: str = Field(foreign_key="user.id", index=True, max_length=26)
    parent_id: str | None = Field(default=None, foreign_key="comment.id", max_length=26)
    reply_to_id: str | None = Field(default=None, foreign_key="comment.id", max_length=26)
    body: str = Field(sa_type=sa.Text)
    status: CommentStatus = Field(default=CommentStatus.visible, sa_type=_enum(CommentStatus))
    # The screening warnings that held it, for the operator who decides.
    findings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    likes: int = 0
    replies_count: int = 0  # visible replies (a top-level comment's)
    decided_by: str | None = Field(default=None, foreign_key="user.id", max_length=26)
    decision_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    decided_at: datetime | None = _ts(nullable=True)


class CommentLike(SQLModel, table=True):
    """A like of a comment: one row per person and comment (the key makes it idempotent)."""

    comment_id: str = Field(foreign_key="comment.id", primary_key=True, max_length=26)
    user_id: str = Field(foreign_key="user.id", primary_key=True, index=True, max_length=26)
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


class ViewDay(SQLModel, table=True):
    """What the flushes of view events added to one content on one stats day (China time): the
    daily record the statistics roll up, since a viewer's own row keeps only their latest day.
    Written once per batch (``FlushedBatch`` keeps a batch from counting twice)."""

    __tablename__ = "view_day"

    content_id: str = Field(foreign_key="content.id", primary_key=True, max_length=26)
    day: date = Field(primary_key=True, index=True)
    views: int = 0  # a person's views count once a day, as on the counters
    viewers: int = 0  # people who viewed the content for the first time
    completions: int = 0  # people who got through it for the first time
    watched_s: float = 0.0


class StatsContentDay(SQLModel, table=True):
    """Rollup: one content's reach and reactions on one stats day (content/stats/rollup.py)."""

    __tablename__ = "stats_content_day"

    day: date = Field(primary_key=True)
    content_id: str = Field(foreign_key="content.id", primary_key=True, index=True, max_length=26)
    owner_id: str = Field(max_length=26, index=True)
    type: ContentType = Field(sa_type=_enum(ContentType))
    views: int = 0
    viewers: int = 0
    completions: int = 0
    watched_s: float = 0.0
    likes: int = 0
    favorites: int = 0
    shares: int = 0


class StatsSegmentDay(SQLModel, table=True):
    """Rollup: the contents of one topic × audience, or (topic and audience empty) of one content
    type, on one stats day. A content counts in each of its topic × audience pairs."""

    __tablename__ = "stats_segment_day"

    day: date = Field(primary_key=True)
    topic: str = Field(primary_key=True, max_length=64)
    audience: str = Field(primary_key=True, max_length=64)
    type: str = Field(primary_key=True, max_length=16)  # "" on a topic × audience row
    contents: int = 0
    views: int = 0
    viewers: int = 0
    completions: int = 0
    watched_s: float = 0.0
    likes: int = 0
    favorites: int = 0
    shares: int = 0


class StatsReviewDay(SQLModel, table=True):
    """Rollup: the decisions of one review stage on one stats day, with how long the revisions
    waited in that stage and since their submission (from the review event log)."""

    __tablename__ = "stats_review_day"

    day: date = Field(primary_key=True)
    stage: Stage = Field(primary_key=True, sa_type=_enum(Stage, length=16))
    action: Action = Field(primary_key=True, sa_type=_enum(Action))
    decisions: int = 0
    in_stage_s: float = 0.0  # summed over the decisions
    in_stage_max_s: float = 0.0
    since_submit_s: float = 0.0  # summed: on a science approval, submission to publication
    since_submit_max_s: float = 0.0


class RankingKind(StrEnum):
    contents = "contents"
    creators = "creators"


class RankingPeriod(StrEnum):
    week = "week"
    month = "month"


class RankingEntry(SQLModel, table=True):
    """One place on a ranking, as the last computation left it (content/stats/rankings.py)."""

    __tablename__ = "ranking_entry"

    period: RankingPeriod = Field(primary_key=True, sa_type=_enum(RankingPeriod, length=16))
    kind: RankingKind = Field(primary_key=True, sa_type=_enum(RankingKind, length=16))
    position: int = Field(primary_key=True)
    subject_id: str = Field(max_length=26)  # a content's id or a creator's
    score: float = 0.0
    computed_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class ReportReason(StrEnum):
    """Why a viewer reports a content."""

    rumor = "rumor"
    pseudoscience = "pseudoscience"
    political = "political"
    other = "other"


class ReportStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class ReportAction(StrEnum):
    """How an operator closes a content's open reports."""

    dismiss = "dismiss"
    takedown = "takedown"


class Report(SQLModel, table=True):
    """A viewer's report of published content. One open report per person and content, held by
    a partial unique index (on SQLite and PostgreSQL alike); once resolved, they may report it
    again. ``reason`` and ``created_at`` are indexed for statistics by reason over time."""

    __table_args__ = (
        sa.Index(
            "uq_report_one_open",
            "user_id",
            "content_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_report_content_status", "content_id", "status"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    content_id: str = Field(foreign_key="content.id", max_length=26)
    user_id: str = Field(foreign_key="user.id", index=True, max_length=26)
    reason: ReportReason = Field(index=True, sa_type=_enum(ReportReason, length=16))
    detail: str = Field(default="", max_length=500)
    status: ReportStatus = Field(
        default=ReportStatus.open, index=True, sa_type=_enum(ReportStatus, length=16)
    )
    resolution: ReportAction | None = Field(default=None, sa_type=_enum(ReportAction, length=16))
    note: str | None = Field(default=None, max_length=500)
    resolved_by: str | None = Field(default=None, foreign_key="user.id", max_length=26)
    resolved_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(TZ, nullable=False, index=True)
    )


class NotificationKind(StrEnum):
    """What a notification tells its user about (docs/notifications.md)."""

    review_outcome = "review_outcome"
    comment = "comment"
    reply = "reply"
    report_outcome = "report_outcome"
    media_failed = "media_failed"


class Notification(SQLModel, table=True):
    """Something a user is told, written in the transaction of what caused it; with WeChat
    configured, also pushed as a subscribe message by a job (``pushed_at`` marks it sent or
    settled, so a repeated delivery sends nothing twice)."""

    __table_args__ = (sa.Index("ix_notification_user_created", "user_id", "created_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    user_id: str = Field(foreign_key="user.id", max_length=26)
    kind: NotificationKind = Field(sa_type=_enum(NotificationKind))
    text: str = Field(max_length=500)
    content_id: str | None = Field(default=None, foreign_key="content.id", max_length=26)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    read_at: datetime | None = _ts(nullable=True)
    pushed_at: datetime | None = _ts(nullable=True)
    push_error: str | None = Field(default=None, max_length=200)
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
