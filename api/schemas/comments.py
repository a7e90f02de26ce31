"""Comments and replies on contents, their likes, the switch for them, and operators' queue."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import LongText, Timestamp
from api.schemas.feed import Author
from content.models import CommentStatus


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: LongText = Field(description="the comment's text: 1–500 visible characters")
    reply_to: str | None = Field(
        default=None,
        max_length=26,
        description="the comment answered; a reply to a reply joins the top-level comment's "
        "thread (one level of replies)",
    )


class CommentOut(BaseModel):
    id: str
    body: str = Field(description="empty for a deleted comment kept for its replies")
    author: Author | None = Field(description="null for a deleted comment kept for its replies")
    created_at: Timestamp
    likes: int
    liked: bool | None = Field(
        default=None, description="whether the caller likes it; null when nobody is signed in"
    )
    status: CommentStatus = Field(
        description="`visible`; `held` (the caller's own, waiting for an operator: nobody else "
        "sees it); `deleted` or `removed` (kept as a placeholder while it has replies)"
    )
    reply_to: str | None = Field(default=None, description="the comment this one answers")
    replies_count: int = 0
    replies: list[CommentOut] = Field(
        default_factory=list,
        description="the first few replies, oldest first; the rest from …/replies with the "
        "last one's id as the cursor",
    )


class CommentPageOut(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None
    enabled: bool = Field(description="whether new comments are accepted on this content")


class CommentLikeOut(BaseModel):
    comment_id: str
    likes: int
    liked: bool


class CommentSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


class CommentSettingsOut(BaseModel):
    content_id: str
    enabled: bool


class CommentDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(
        default=None, max_length=2000, description="required to remove; at most 500 characters"
    )


class AdminCommentOut(BaseModel):
    id: str
    content_id: str
    body: str
    author: Author
    status: CommentStatus
    reply_to: str | None
    findings: list[dict[str, Any]] = Field(description="the screening warnings that held it")
    created_at: Timestamp
    decision_reason: str | None = None
