"""What viewers do: reactions and their counters, comments, follows, views and shares."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from content.models.columns import TZ, _enum, _ts
from infra.clock import utcnow
from infra.ids import new_id


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
