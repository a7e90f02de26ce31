"""Reports of content, the operators' report list, and notifications."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

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


MAX_MARK_IDS = 100


class MarkReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The caller's notification ids (up to 100), or "all".
    ids: list[Id] | Literal["all"]

    @field_validator("ids", mode="before")
    @classmethod
    def _ids_or_all(cls, value: object) -> object:
        # Checked as a whole, so a refusal names `ids` rather than a branch of the union.
        if value == "all":
            return value
        if (
            isinstance(value, list)
            and len(value) <= MAX_MARK_IDS
            and all(isinstance(i, str) and 0 < len(i) <= 64 for i in value)
        ):
            return value
        raise ValueError(f'a list of up to {MAX_MARK_IDS} notification ids, or "all"')


class MarkedOut(BaseModel):
    marked: int
    unread: int
