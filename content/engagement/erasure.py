"""What one person did to others' content, erased on request: their reactions, follows, shares
and views go with the counters they added, their comments keep their place in threads (so
replies stay readable) but lose their words, as a deleted comment does."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.engagement.comments import GONE, _counted
from content.engagement.reactions import bump
from content.models import (
    Comment,
    CommentLike,
    CommentStatus,
    Content,
    ContentStats,
    ContentViewer,
    Follow,
    Reaction,
    Share,
)
from infra.clock import utcnow


async def erase_engagement(session: AsyncSession, user_id: str) -> Counter[str]:
    """Erase what ``user_id`` did to content, correcting every counter it moved. Running it
    again finds nothing and changes nothing."""
    counts: Counter[str] = Counter()
    counts["reactions"] = await _reactions(session, user_id)
    counts["shares"] = await _shares(session, user_id)
    counts["views"] = await _views(session, user_id)
    counts["comment_likes"] = await _comment_likes(session, user_id)
    counts["comments"] = await _comments(session, user_id)
    follows = await session.exec(
        sa.delete(Follow).where(
            sa.or_(col(Follow.follower_id) == user_id, col(Follow.creator_id) == user_id)
        )
    )
    counts["follows"] = follows.rowcount
    return counts


async def _take_back(session: AsyncSession, content_id: str, **deltas: int) -> None:
    """Subtract a removed row's share from a content's counters (re-ranked if it was published)."""
    content = await session.get(Content, content_id)
    if content is None:
        return
    if content.published_at is not None:
        await bump(session, content, **deltas)
        return
    table = ContentStats.__table__  # type: ignore[attr-defined]
    await session.exec(
        sa.update(ContentStats)
        .where(col(ContentStats.content_id) == content_id)
        .values({table.c[name]: table.c[name] + value for name, value in deltas.items()})
    )


async def _reactions(session: AsyncSession, user_id: str) -> int:
    rows = (await session.exec(select(Reaction).where(Reaction.user_id == user_id))).all()
    for row in rows:
        gone = await session.exec(
            sa.delete(Reaction).where(
                col(Reaction.user_id) == user_id,
                col(Reaction.content_id) == row.content_id,
                col(Reaction.kind) == row.kind,
            )
        )
        if gone.rowcount == 1:  # of two racing removals, one corrects the counter
            await _take_back(session, row.content_id, **{f"{row.kind.value}s": -1})
    return len(rows)


async def _shares(session: AsyncSession, user_id: str) -> int:
    rows = (await session.exec(select(Share).where(Share.user_id == user_id))).all()
    for row in rows:
        gone = await session.exec(
            sa.delete(Share).where(
                col(Share.user_id) == user_id, col(Share.content_id) == row.content_id
            )
        )
        if gone.rowcount == 1:
            await _take_back(session, row.content_id, shares=-1)
    return len(rows)


async def _views(session: AsyncSession, user_id: str) -> int:
    """A viewer's row holds what they added to the counters: their counted views, being one of
    the viewers, and having finished."""
    query = select(ContentViewer).where(ContentViewer.user_id == user_id)
    rows = (await session.exec(query)).all()
    for row in rows:
        gone = await session.exec(
            sa.delete(ContentViewer).where(
                col(ContentViewer.user_id) == user_id,
                col(ContentViewer.content_id) == row.content_id,
            )
        )
        if gone.rowcount == 1:
            deltas = {"views": -row.views, "viewers": -1, "completions": -int(row.completed)}
            await _take_back(session, row.content_id, **deltas)
    return len(rows)


async def _comment_likes(session: AsyncSession, user_id: str) -> int:
    query = select(CommentLike).where(CommentLike.user_id == user_id)
    rows = (await session.exec(query)).all()
    for row in rows:
        gone = await session.exec(
            sa.delete(CommentLike).where(
                col(CommentLike.user_id) == user_id, col(CommentLike.comment_id) == row.comment_id
            )
        )
        if gone.rowcount == 1:
            await session.exec(
                sa.update(Comment)
                .where(col(Comment.id) == row.comment_id)
                .values(likes=Comment.likes - 1)
            )
    return len(rows)


async def _comments(session: AsyncSession, user_id: str) -> int:
    """Each comment becomes deleted (uncounted if it showed) and its words and screening findings
    are cleared; its replies by others stay, under a comment shown as deleted."""
    rows = (await session.exec(select(Comment).where(Comment.author_id == user_id))).all()
    erased = 0
    for comment in rows:
        if comment.status in GONE and comment.body == "" and not comment.findings:
            continue  # erased before
        was = comment.status
        moved = await session.exec(
            sa.update(Comment)
            .where(col(Comment.id) == comment.id, col(Comment.status) == was)
            .values(
                status=was if was in GONE else CommentStatus.deleted,
                body="",
                findings=[],
                decided_at=comment.decided_at or utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            continue  # moved meanwhile; a second run erases it
        erased += 1
        content = await session.get(Content, comment.content_id)
        if was == CommentStatus.visible and content is not None:
            await _counted(session, content, comment, -1)
    return erased
