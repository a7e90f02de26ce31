"""Who may see what: nobody sees another's drafts; unpublished content only its owner, operators
and the reviewers the workflow hands it to (or who decided on it); the public only what is
published."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import (
    Content,
    ContentStatus,
    ReviewTask,
    Revision,
    RevisionImage,
    Role,
    TaskStatus,
    User,
)
from content.review import transitions


def is_owner(user: User | None, content: Content) -> bool:
    return user is not None and user.id == content.owner_id


def is_operator(user: User | None) -> bool:
    """Operators (admins) see every submitted content, its history and its media."""
    return user is not None and Role.admin in user.roles


def handed_to(user: User) -> sa.ColumnElement[bool]:
    """SQL over a ReviewTask joined with its Content: the tasks a reviewer sees — the open ones
    their stages and disciplines hand them (the workflow's rules), and those they decided."""
    return or_(
        sa.and_(col(ReviewTask.status) == TaskStatus.open, transitions.workable(user)),
        col(ReviewTask.decided_by) == user.id,
    )


async def _handed_any(session: AsyncSession, user: User, where: sa.ColumnElement[bool]) -> bool:
    if not transitions.stages_of(user):
        return False
    found = await session.exec(
        select(ReviewTask.id)
        .join(Content, col(Content.id) == col(ReviewTask.content_id))
        .join(Revision, col(Revision.id) == col(ReviewTask.revision_id))
        .where(where, handed_to(user))
        .limit(1)
    )
    return found.first() is not None


async def can_see_unpublished(session: AsyncSession, user: User | None, content: Content) -> bool:
    """Its owner always; operators and the reviewers it is handed to once it was submitted."""
    if is_owner(user, content):
        return True
    if user is None or content.status == ContentStatus.draft:
        return False
    return is_operator(user) or await _handed_any(
        session, user, col(ReviewTask.content_id) == content.id
    )


def uses_media(media_id: str) -> sa.ColumnElement[bool]:
    """A condition on `Revision`: the revision shows ``media_id`` (its video, its cover or an
    image of its body)."""
    return or_(
        col(Revision.media_id) == media_id,
        col(Revision.cover_media_id) == media_id,
        col(Revision.id).in_(
            select(RevisionImage.revision_id).where(RevisionImage.media_id == media_id)
        ),
    )


async def may_see_media(session: AsyncSession, user: User, media_id: str) -> bool:
    """Unpublished media beyond its owner's: operators, and reviewers handed a revision using it."""
    if is_operator(user):
        return True
    return await _handed_any(
        session,
        user,
        uses_media(media_id),
    )


def is_public(content: Content) -> bool:
    return content.status == ContentStatus.published and content.live_revision_id is not None
