"""The review history of a content: every workflow transition, who took it and why, for the
people who may read it (its owner, operators, and the reviewers it was handed to)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import NotFound
from content.models import Action, Content, ContentStatus, ReviewEvent, Stage, User
from content.review import transitions
from content.review.visibility import can_see_unpublished


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    revision: int | None
    stage: Stage | None
    action: Action
    decision: Action | None  # set when the action is a human review decision
    from_status: ContentStatus
    to_status: ContentStatus
    actor: User | None  # None: the machine stage
    reviewer: User | None  # who decided, on a review decision
    comment: str | None
    created_at: datetime


def _entry(event: ReviewEvent, actor: User | None) -> HistoryEntry:
    decision = event.action if event.action in transitions.DECISIONS else None
    return HistoryEntry(
        id=event.id,
        revision=event.revision_number,
        stage=event.stage,
        action=event.action,
        decision=decision,
        from_status=event.from_status,
        to_status=event.to_status,
        actor=actor,
        reviewer=actor if decision else None,
        comment=event.comment,
        created_at=event.created_at,
    )


async def history(session: AsyncSession, viewer: User, content_id: str) -> list[HistoryEntry]:
    """The audit log of a content, oldest first; 404 to anyone who may not see it unpublished."""
    content = await session.get(Content, content_id)
    if content is None or not await can_see_unpublished(session, viewer, content):
        raise NotFound("no such content", code="content.not_found")
    rows = await session.exec(
        select(ReviewEvent, User)
        .join(User, col(User.id) == col(ReviewEvent.actor_id), isouter=True)
        .where(ReviewEvent.content_id == content.id)
        .order_by(col(ReviewEvent.created_at), col(ReviewEvent.id))
    )
    return [_entry(event, actor) for event, actor in rows.all()]
