"""Comments on published content: one level of replies, screened in the request like content,
counted exactly in the content's counters, liked like contents (docs/comments.md)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from content import accounts, effects, kit, notifications, screening
from content.engagement.reactions import bump, published
from content.errors import Conflict, Forbidden, Invalid, NotFound
from content.models import (
    Comment,
    CommentLike,
    CommentStatus,
    Content,
    NotificationKind,
    Revision,
    Role,
    Severity,
    User,
)
from content.review import is_owner, is_public
from infra.clock import utcnow
from infra.upsert import insert_for

COMMENT_CHARS = 500
# Replies shown inside each top-level comment of a page; the rest through the replies route.
REPLIES_SHOWN = 3
# Gone comments that still hold a thread show as a placeholder.
GONE = (CommentStatus.deleted, CommentStatus.removed)


class CommentOrder(StrEnum):
    newest = "newest"
    likes = "likes"


@dataclass
class Thread:
    """A top-level comment, its author and its first replies (each with its author)."""

    comment: Comment
    author: User
    replies: list[tuple[Comment, User]] = field(default_factory=list)


@dataclass
class CommentPage:
    threads: list[Thread]
    next_cursor: str | None
    enabled: bool


def no_such_comment() -> NotFound:
    return NotFound("no such comment", code="comment.not_found")


async def post(
    session: AsyncSession, user: User, content_id: str, body: str | None, reply_to: str | None
) -> Comment:
    """A comment (or a reply) by ``user``: screened now, shown at once, held for an operator on a
    warning, refused with its finding on a block."""
    content = await published(session, content_id)
    if not content.comments_enabled:
        raise Conflict("comments are turned off on this content", code="comment.closed")
    text = kit.clean_text(body, "body", COMMENT_CHARS, required=True)
    parent_id = None
    if reply_to is not None:
        target = await session.get(Comment, reply_to)
        if target is None or target.content_id != content.id:
            raise NotFound(
                "no such comment to reply to", code="comment.not_found", field="reply_to"
            )
        # Gone ones still hold their thread, but a reply answers something one can read.
        if target.status != CommentStatus.visible:
            raise NotFound(
                "no such comment to reply to", code="comment.not_found", field="reply_to"
            )
        parent_id = target.parent_id or target.id
    screener = await screening.current_screener(session)
    findings = screener.scan({"body": text}, markdown=())
    blocked = next((f for f in findings if f.severity == Severity.block), None)
    if blocked is not None:
        raise Invalid(
            blocked.message, field="body", code="comment.blocked", finding=blocked.as_dict()
        )
    warned = [f.as_dict() for f in findings if f.severity == Severity.warn]
    comment = Comment(
        content_id=content.id,
        author_id=user.id,
        parent_id=parent_id,
        reply_to_id=reply_to,
        body=text,
        status=CommentStatus.held if warned else CommentStatus.visible,
        findings=warned,
    )
    session.add(comment)  # written by the counter update's autoflush, or the commit
    if comment.status == CommentStatus.visible:
        await _shown(session, content, comment)
    return comment


async def _shown(session: AsyncSession, content: Content, comment: Comment) -> None:
    """A comment became visible: counted (atomically, in this transaction), pages dropped, and
    whoever it concerns told (in this transaction too: told exactly when it shows)."""
    await _counted(session, content, comment, 1)
    await _tell(session, content, comment)


async def _tell(session: AsyncSession, content: Content, comment: Comment) -> None:
    """The author a comment replies to hears of the reply; the content's owner of any other
    comment on it. Nobody is told of their own words."""
    revision = await session.get(Revision, content.live_revision_id or "")
    title = revision.title if revision is not None else ""
    writer = await session.get(User, comment.author_id)
    name = writer.display_name if writer is not None else ""
    data = {"comment_id": comment.id}
    target = await session.get(Comment, comment.reply_to_id) if comment.reply_to_id else None
    if target is not None and target.author_id != comment.author_id:
        text = notifications.texts.replied(title, name, comment.body)
        await notifications.tell(
            session, target.author_id, NotificationKind.reply, text,
            content_id=content.id, data=data,
        )  # fmt: skip
    told = target.author_id if target is not None else None
    if content.owner_id not in (comment.author_id, told):
        text = notifications.texts.commented(title, name, comment.body)
        await notifications.tell(
            session, content.owner_id, NotificationKind.comment, text,
            content_id=content.id, data=data,
        )  # fmt: skip


async def _counted(session: AsyncSession, content: Content, comment: Comment, delta: int) -> None:
    if content.published_at is not None:
        await bump(session, content, comments=delta)
    if comment.parent_id is not None:
        await session.exec(
            sa.update(Comment)
            .where(col(Comment.id) == comment.parent_id)
            .values(replies_count=Comment.replies_count + delta)
        )
    effects.comments_changed(session, content.id)


async def _moved(
    session: AsyncSession, comment_id: str, was: CommentStatus, to: CommentStatus, **values: object
) -> bool:
    """``was`` → ``to``, only if the row is still ``was``: of two racing requests one wins."""
    result = await session.exec(
        sa.update(Comment)
        .where(col(Comment.id) == comment_id, col(Comment.status) == was)
        .values(status=to, **values)
    )
    return result.rowcount == 1


async def delete(session: AsyncSession, user: User, content_id: str, comment_id: str) -> None:
    """The comment's author, the content's owner or an operator deletes a comment; deleting it
    again changes nothing. Its replies stay: a deleted comment that holds any shows as deleted."""
    admin = accounts.has_role(user, Role.admin)
    content = await session.get(Content, content_id)
    if content is None or not (is_public(content) or admin):
        raise NotFound("no such content", code="content.not_found")
    comment = await session.get(Comment, comment_id)
    if comment is None or comment.content_id != content.id:
        raise no_such_comment()
    author = comment.author_id == user.id
    allowed = author or admin or is_owner(user, content)
    if comment.status in GONE:
        if allowed:
            return  # already gone: the same outcome
        raise no_such_comment()
    if comment.status == CommentStatus.held and not (author or admin):
        raise no_such_comment()  # a held comment is its author's (and operators') alone
    if not allowed:
        raise Forbidden(
            "only its author, the content's owner or an operator may delete a comment",
            code="comment.forbidden",
        )
    was = comment.status
    # Of two deletions racing (the author and the owner), one moves the row and counts.
    if await _moved(
        session, comment.id, was, CommentStatus.deleted, decided_by=user.id, decided_at=utcnow()
    ):
        if was == CommentStatus.visible:
            await _counted(session, content, comment, -1)
        return
    await session.refresh(comment)
    if comment.status not in GONE:  # approved meanwhile: delete what it is now
        await delete(session, user, content_id, comment_id)


async def like(session: AsyncSession, user: User, comment_id: str, on: bool) -> tuple[int, bool]:
    """Like (``on``) a visible comment of public content, or take it back; repeating either
    changes nothing. Returns its likes and whether ``user`` likes it."""
    comment = await session.get(Comment, comment_id)
    content = await session.get(Content, comment.content_id) if comment else None
    if comment is None or comment.status != CommentStatus.visible:
        raise no_such_comment()
    if content is None or not is_public(content):
        raise no_such_comment()
    if on:
        stmt = insert_for(session, CommentLike).values(
            comment_id=comment.id, user_id=user.id, created_at=utcnow()
        )
        result = await session.exec(stmt.on_conflict_do_nothing())
    else:
        result = await session.exec(
            sa.delete(CommentLike).where(
                col(CommentLike.comment_id) == comment.id, col(CommentLike.user_id) == user.id
            )
        )
    if result.rowcount == 1:
        await session.exec(
            sa.update(Comment)
            .where(col(Comment.id) == comment.id)
            .values(likes=Comment.likes + (1 if on else -1))
        )
    likes = await session.exec(select(Comment.likes).where(Comment.id == comment.id))
    return int(likes.one()), on


async def set_enabled(session: AsyncSession, user: User, content_id: str, enabled: bool) -> None:
    """The owner (or an operator) turns comments on a content off or on; what exists stays."""
    content = await session.get(Content, content_id)
    if content is None or not (is_owner(user, content) or accounts.has_role(user, Role.admin)):
        raise NotFound("no such content", code="content.not_found")
    await session.exec(
        sa.update(Content).where(col(Content.id) == content.id).values(comments_enabled=enabled)
    )
    effects.comments_changed(session, content.id)


# --- reading ---------------------------------------------------------------------------------

_LIKES_CURSOR = re.compile(r"^(\d{1,10})\.([0-9a-z]{26})$")


def _shown_top_level() -> sa.ColumnElement[bool]:
    """Visible top-level comments, and gone ones that still hold replies (as placeholders)."""
    return sa.or_(
        col(Comment.status) == CommentStatus.visible,
        sa.and_(col(Comment.status).in_(GONE), col(Comment.replies_count) > 0),
    )


async def page(
    session: AsyncSession, content_id: str, order: CommentOrder, cursor: str | None, limit: int
) -> CommentPage:
    """A page of a public content's top-level comments (everyone's: the same for every reader)
    with their first replies."""
    content = await published(session, content_id)
    query = (
        select(Comment, User)
        .join(User, col(User.id) == col(Comment.author_id))
        .where(
            col(Comment.content_id) == content.id,
            col(Comment.parent_id).is_(None),
            _shown_top_level(),
        )
    )
    rows: list[tuple[Comment, User]]
    if order == CommentOrder.newest:
        rows, next_cursor = await kit.page_by_id(
            session, query, col(Comment.id), cursor, limit, key=lambda r: r[0].id, newest_first=True
        )
    else:
        rows, next_cursor = await _by_likes(session, query, cursor, limit)
    threads = [Thread(c, a) for c, a in rows]
    first = await _first_replies(
        session, [t.comment.id for t in threads if t.comment.replies_count]
    )
    for thread in threads:
        thread.replies = first.get(thread.comment.id, [])
    return CommentPage(threads, next_cursor, content.comments_enabled)


async def _by_likes(
    session: AsyncSession,
    query: Select[Comment, User],
    cursor: str | None,
    limit: int,
) -> tuple[list[tuple[Comment, User]], str | None]:
    """Most liked first, newest first among equals. Likes move while one pages: a comment
    liked meanwhile may show twice or be passed, as on any ranked list."""
    if cursor:
        match = _LIKES_CURSOR.match(cursor)
        if match is None:
            raise Invalid("cursor is not one this API gave out", field="cursor")
        likes, last_id = int(match[1]), match[2]
        query = query.where(
            sa.or_(
                col(Comment.likes) < likes,
                sa.and_(col(Comment.likes) == likes, col(Comment.id) < last_id),
            )
        )
    query = query.order_by(col(Comment.likes).desc(), col(Comment.id).desc()).limit(limit + 1)
    found = list((await session.exec(query)).all())
    rows, last = kit.cut(found, limit, key=lambda r: f"{r[0].likes}.{r[0].id}")
    return rows, last


def _visible_replies() -> sa.ColumnElement[bool]:
    return col(Comment.status) == CommentStatus.visible


async def _first_replies(
    session: AsyncSession, parent_ids: list[str]
) -> dict[str, list[tuple[Comment, User]]]:
    """The first few visible replies of each of ``parent_ids``, oldest first, in one query."""
    if not parent_ids:
        return {}
    rank = (
        sa.func.row_number()
        .over(partition_by=col(Comment.parent_id), order_by=col(Comment.id))
        .label("rank")
    )
    ranked = (
        select(col(Comment.id), rank)
        .where(col(Comment.parent_id).in_(parent_ids), _visible_replies())
        .subquery()
    )
    query = (
        select(Comment, User)
        .join(ranked, ranked.c.id == col(Comment.id))
        .join(User, col(User.id) == col(Comment.author_id))
        .where(ranked.c.rank <= REPLIES_SHOWN)
        .order_by(col(Comment.id))
    )
    out: dict[str, list[tuple[Comment, User]]] = defaultdict(list)
    for comment, author in (await session.exec(query)).all():
        out[str(comment.parent_id)].append((comment, author))
    return out


async def replies(
    session: AsyncSession, content_id: str, comment_id: str, cursor: str | None, limit: int
) -> tuple[list[tuple[Comment, User]], str | None]:
    """A top-level comment's visible replies, oldest first; the cursor is the id of the last
    reply one holds (so the embedded first replies lead on to the rest)."""
    content = await published(session, content_id)
    parent = await session.get(Comment, comment_id)
    if (
        parent is None
        or parent.content_id != content.id
        or parent.parent_id is not None
        or not (
            parent.status == CommentStatus.visible
            or (parent.status in GONE and parent.replies_count > 0)
        )
    ):
        raise no_such_comment()
    if cursor is not None and not re.fullmatch(r"[0-9a-z]{26}", cursor):
        raise Invalid("cursor is not one this API gave out", field="cursor")
    query = (
        select(Comment, User)
        .join(User, col(User.id) == col(Comment.author_id))
        .where(col(Comment.parent_id) == parent.id, _visible_replies())
    )
    return await kit.page_by_id(
        session, query, col(Comment.id), cursor, limit, key=lambda r: r[0].id
    )


@dataclass
class Mine:
    """What one signed-in reader adds to a shared page: which comments they like, and their own
    comments held for an operator (which nobody else sees)."""

    liked: set[str]
    held: list[tuple[Comment, User]]


async def mine(session: AsyncSession, user: User, content_id: str, comment_ids: list[str]) -> Mine:
    liked: set[str] = set()
    if comment_ids:
        rows = await session.exec(
            select(CommentLike.comment_id).where(
                CommentLike.user_id == user.id, col(CommentLike.comment_id).in_(comment_ids)
            )
        )
        liked = set(rows.all())
    held = await session.exec(
        select(Comment)
        .where(
            Comment.content_id == content_id,
            Comment.author_id == user.id,
            Comment.status == CommentStatus.held,
        )
        .order_by(col(Comment.id).desc())
        .limit(50)
    )
    return Mine(liked, [(c, user) for c in held.all()])


# --- operators -------------------------------------------------------------------------------


async def listed(
    session: AsyncSession, status: CommentStatus, cursor: str | None, limit: int
) -> tuple[list[tuple[Comment, User]], str | None]:
    """Comments in ``status`` (held: the operators' queue), oldest first."""
    query = (
        select(Comment, User)
        .join(User, col(User.id) == col(Comment.author_id))
        .where(col(Comment.status) == status)
    )
    return await kit.page_by_id(
        session, query, col(Comment.id), cursor, limit, key=lambda r: r[0].id
    )


async def decide(
    session: AsyncSession, operator: User, comment_id: str, approve: bool, reason: str | None
) -> tuple[Comment, User]:
    """An operator approves a held comment (it shows and counts from now) or removes it."""
    reason_text = kit.clean_text(reason, "reason", 500, required=not approve) or None
    comment = await session.get(Comment, comment_id)
    if comment is None:
        raise no_such_comment()
    to = CommentStatus.visible if approve else CommentStatus.removed
    moved = await _moved(
        session,
        comment.id,
        CommentStatus.held,
        to,
        decided_by=operator.id,
        decided_at=utcnow(),
        decision_reason=reason_text,
    )
    if not moved:
        raise Conflict("this comment is not waiting for a decision", code="comment.not_held")
    await session.refresh(comment)
    if approve:
        content = await session.get(Content, comment.content_id)
        assert content is not None
        await _shown(session, content, comment)
    author = await session.get(User, comment.author_id)
    assert author is not None
    return comment, author
