"""Accounts, the taxonomy, contents with their revisions, and review: the workflow's tables
and closed sets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from content.models.columns import TZ, _enum, _EnumList, _ts
from infra.clock import utcnow
from infra.ids import new_id


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


class TextReading(StrEnum):
    """Whether the text on a media item's frames (or picture) was read; None before processing."""

    read = "read"
    failed = "failed"  # the reader failed or ran out of time: reviewers must watch it all
    off = "off"  # reading is turned off (KEPU_OCR_ENABLED=false)


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

    __table_args__ = (
        sa.UniqueConstraint("revision_id", "stage"),
        # A queue: a stage's open tasks, oldest first (counted, listed, the next one taken).
        sa.Index("ix_reviewtask_queue", "status", "stage", "created_at"),
        # A reviewer's decisions: what the one-stage-each guard reads on every queue and review
        # page (their approvals), and their own decided tasks; without it, every task ever.
        sa.Index("ix_reviewtask_decided_by", "decided_by", "status"),
    )

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
