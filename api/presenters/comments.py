"""Comments as readers get them: a shared page (the same bytes for everyone, cached), and what a
signed-in reader adds to it (their likes, their own held comments)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from api.presenters.feed import links
from content import media
from content.engagement import CommentPage, Mine
from content.models import Comment, CommentStatus, User
from infra.services import Services


def _author(user: User, found: dict[str, media.MediaLinks]) -> schemas.Author:
    avatar = found.get(user.avatar_media_id or "")
    return schemas.Author(
        id=user.id,
        display_name=user.display_name,
        avatar_url=avatar.cover_url if avatar else None,
    )


def _comment(
    comment: Comment,
    author: User,
    found: dict[str, media.MediaLinks],
    replies: list[schemas.CommentOut] | None = None,
) -> schemas.CommentOut:
    gone = comment.status in (CommentStatus.deleted, CommentStatus.removed)
    return schemas.CommentOut(
        id=comment.id,
        body="" if gone else comment.body,
        author=None if gone else _author(author, found),
        created_at=comment.created_at,
        likes=comment.likes,
        status=comment.status,
        reply_to=comment.reply_to_id,
        replies_count=comment.replies_count,
        replies=replies or [],
    )


async def _links(
    session: AsyncSession, services: Services, people: Iterable[User]
) -> dict[str, media.MediaLinks]:
    return await links(session, services, [], True, {p.id: p for p in people}.values())


async def comment_page(
    session: AsyncSession, services: Services, page: CommentPage
) -> schemas.CommentPageOut:
    people = [t.author for t in page.threads] + [a for t in page.threads for _, a in t.replies]
    found = await _links(session, services, people)
    return schemas.CommentPageOut(
        items=[
            _comment(t.comment, t.author, found, [_comment(c, a, found) for c, a in t.replies])
            for t in page.threads
        ],
        next_cursor=page.next_cursor,
        enabled=page.enabled,
    )


async def comment_list(
    session: AsyncSession, services: Services, rows: list[tuple[Comment, User]]
) -> list[schemas.CommentOut]:
    found = await _links(session, services, [a for _, a in rows])
    return [_comment(c, a, found) for c, a in rows]


def page_ids(items: Iterable[schemas.CommentOut]) -> list[str]:
    """The ids of a page's comments and of the replies shown inside them."""
    return [i for c in items for i in (c.id, *(r.id for r in c.replies))]


async def personal(
    session: AsyncSession,
    services: Services,
    items: list[schemas.CommentOut],
    mine: Mine,
    parent_id: str | None,
    first: bool,
) -> list[schemas.CommentOut]:
    """A shared page's ``items`` as one reader sees them: ``liked`` set, and on the first page
    their own held comments of this list (top-level ones, or replies of ``parent_id``) ahead;
    their held replies also inside the threads shown. The shared items are never changed."""
    held = await comment_list(session, services, mine.held)
    held_here = [h for h, (c, _) in zip(held, mine.held, strict=True) if c.parent_id == parent_id]
    held_in: dict[str, list[schemas.CommentOut]] = {}
    if parent_id is None:
        for out, (c, _) in zip(held, mine.held, strict=True):
            if c.parent_id is not None:
                held_in.setdefault(c.parent_id, []).append(out)

    def marked(c: schemas.CommentOut) -> schemas.CommentOut:
        replies = [marked(r) for r in c.replies] + held_in.get(c.id, [])
        return c.model_copy(update={"liked": c.id in mine.liked, "replies": replies})

    ahead = [h.model_copy(update={"liked": False}) for h in held_here] if first else []
    return ahead + [marked(c) for c in items]


def comment_like_out(comment_id: str, likes: int, liked: bool) -> schemas.CommentLikeOut:
    return schemas.CommentLikeOut(comment_id=comment_id, likes=likes, liked=liked)


async def admin_comments(
    session: AsyncSession, services: Services, rows: list[tuple[Comment, User]], cursor: str | None
) -> schemas.Page[schemas.AdminCommentOut]:
    found = await _links(session, services, [a for _, a in rows])
    return schemas.Page[schemas.AdminCommentOut](
        items=[admin_comment(c, a, found) for c, a in rows], next_cursor=cursor
    )


def admin_comment(
    comment: Comment, author: User, found: dict[str, media.MediaLinks] | None = None
) -> schemas.AdminCommentOut:
    return schemas.AdminCommentOut(
        id=comment.id,
        content_id=comment.content_id,
        body=comment.body,
        author=_author(author, found or {}),
        status=comment.status,
        reply_to=comment.reply_to_id,
        findings=comment.findings,
        created_at=comment.created_at,
        decision_reason=comment.decision_reason,
    )
