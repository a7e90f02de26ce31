"""`erase_person`: every step of an erasure in the caller's one transaction, so it is all or
nothing; what must follow the commit (feeds, search, public media, the CDN) follows through the
effects the workflow declares, carried out by the caller's drain."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts, engagement, review
from content.models import (
    Action,
    Comment,
    Content,
    Erasure,
    Notification,
    NotificationKind,
    Report,
    Revision,
    User,
)

ERASED_TITLE = "已删除"  # "deleted": what a revision's title becomes
STEPS = ("contents", "engagement", "notifications", "account")
REASON = "erased at the author's request"


@dataclass(frozen=True)
class Erased:
    user_id: str
    counts: dict[str, int]


async def erase_person(
    session: AsyncSession,
    ref: str,
    operator: str,
    step_done: Callable[[str], object] = lambda _step: None,
) -> Erased:
    """Erase the person ``ref`` names (an id or username). Running it again on the id changes
    nothing more and records a run with zero counts."""
    user = await accounts.find_person(session, ref)
    counts: Counter[str] = Counter()
    counts["contents_ended"] = await _end_contents(session, user)
    counts["revisions_erased"] = await _erase_revisions(session, user.id)
    step_done("contents")
    counts.update(await engagement.erase_engagement(session, user.id))
    step_done("engagement")
    gone = await session.exec(sa.delete(Notification).where(col(Notification.user_id) == user.id))
    counts["notifications"] = gone.rowcount
    counts["notifications_quoting"] = await _forget_quotes(session, user.id)
    # A report stays for the statistics by reason; the words its reporter wrote go.
    reports = await session.exec(
        sa.update(Report)
        .where(col(Report.user_id) == user.id, col(Report.detail) != "")
        .values(detail="")
    )
    counts["report_details"] = reports.rowcount
    step_done("notifications")
    counts["account"] = int(accounts.anonymise(user))
    session.add(user)
    record = dict(sorted(counts.items()))
    session.add(Erasure(user_id=user.id, operator=operator[:64], counts=record))
    await session.flush()
    step_done("account")
    return Erased(user.id, record)


async def _end_contents(session: AsyncSession, user: User) -> int:
    """Their contents still going (published, in review, drafts) end as the author's withdrawal:
    the workflow takes them off feeds and search and closes their public media, as a takedown."""
    query = select(Content).where(
        Content.owner_id == user.id, col(Content.status).not_in(review.ENDED)
    )
    ended = 0
    for content in (await session.exec(query)).all():
        revision = await session.get(Revision, content.working_revision_id)
        if revision is None:
            continue
        await review.apply(session, content, revision, Action.withdraw, user, comment=REASON)
        ended += 1
    return ended


async def _erase_revisions(session: AsyncSession, user_id: str) -> int:
    """Their words in every revision of their contents (or written by them): title, summary,
    body, references and what screening quoted from them."""
    owned = select(Content.id).where(Content.owner_id == user_id)
    result = await session.exec(
        sa.update(Revision)
        .where(
            or_(col(Revision.content_id).in_(owned), col(Revision.author_id) == user_id),
            col(Revision.title) != ERASED_TITLE,
        )
        .values(title=ERASED_TITLE, summary="", body=None, references=[], findings=[])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


async def _forget_quotes(session: AsyncSession, user_id: str) -> int:
    """Others' notifications of the person's comments quote their name and words: deleted."""
    theirs = select(Comment.id, Comment.content_id).where(Comment.author_id == user_id)
    rows = (await session.exec(theirs)).all()
    comment_ids = {comment_id for comment_id, _ in rows}
    if not comment_ids:
        return 0
    query = select(Notification).where(
        col(Notification.kind).in_((NotificationKind.comment, NotificationKind.reply)),
        col(Notification.content_id).in_({content_id for _, content_id in rows}),
    )
    found = (await session.exec(query)).all()
    quoting = [n for n in found if n.data.get("comment_id") in comment_ids]
    for notification in quoting:
        await session.delete(notification)
    return len(quoting)
