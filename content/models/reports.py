"""Viewers' reports and the notifications users are told."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from content.models.columns import TZ, _enum, _ts
from infra.clock import utcnow
from infra.ids import new_id


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
