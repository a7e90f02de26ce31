"""Reports of content, the operators' report list, and notifications."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Timestamp
from content.models import (
    ContentStatus,
    NotificationKind,
    ReportAction,
    ReportReason,
    ReportStatus,
)

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content_id: Id
    reason: ReportReason
    detail: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ReportOut(BaseModel):
    id: str
    content_id: str
    reason: ReportReason
    detail: str
    status: ReportStatus
    created_at: Timestamp


class ReportItemOut(BaseModel):
    id: str
    reason: ReportReason
    detail: str
    status: ReportStatus
    resolution: ReportAction | None
    created_at: Timestamp


class ReportGroupOut(BaseModel):
    content_id: str
    title: str
    status: ContentStatus  # the content's
    reports: int
    open: int
    reasons: dict[ReportReason, int]
    latest_at: Timestamp
    surge: bool
    items: list[ReportItemOut]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: ReportAction
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ResolvedOut(BaseModel):
    content_id: str
    content_status: ContentStatus
    action: ReportAction
    resolved: list[str]  # the ids of every report this closed


class NotificationOut(BaseModel):
    id: str
    kind: NotificationKind
    text: str
    content_id: str | None
    created_at: Timestamp
    read: bool


class NotificationsOut(BaseModel):
    items: list[NotificationOut]
    unread: int
    next_cursor: str | None


class MarkReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The caller's notification ids, or "all".
    ids: list[Id] | Literal["all"] = Field(max_length=100)


class MarkedOut(BaseModel):
    marked: int
    unread: int
