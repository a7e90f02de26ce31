"""Contents as operators find and inspect them: any content but another's draft, by id, by the
words of its title, or the latest ones; and one content with its revisions, its review history
and its reports, in a few queries whatever its history holds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import review, search
from content.accounts import require_role
from content.errors import Invalid, NotFound
from content.kit import page_by_id
from content.models import (
    Action,
    Content,
    ContentStatus,
    Report,
    ReportStatus,
    Revision,
    RevisionState,
    Role,
    User,
)

# What an operator may look for: every status but ``draft`` — a draft that was never submitted
# (or is being rewritten) is its author's alone, for operators as for the API (review.visibility).
OPERATOR_STATUSES = tuple(s for s in ContentStatus if s != ContentStatus.draft)
_ID = re.compile(r"[0-9a-hjkmnp-tv-z]{26}")


@dataclass(frozen=True)
class Found:
    """One content in the operators' list: its row, the title it shows (the live revision's,
    else the working one's) and its author's name."""

    content: Content
    title: str
    author: str


@dataclass(frozen=True)
class Inspection:
    """One content as operators see it. ``latest`` is the newest revision an operator may read
    (the working one, unless that is the author's draft: then ``drafting`` says an edit is
    being written); ``reports`` counts its reports by status."""

    content: Content
    author: User
    live: Revision | None
    latest: Revision | None
    drafting: bool
    history: list[review.HistoryEntry]
    reports: dict[ReportStatus, int] = field(default_factory=dict)
    # What the workflow allows now (its table, not a copy): taking it down, pinning it.
    may_take_down: bool = False
    may_pin: bool = False

    @property
    def shown(self) -> Revision | None:
        """The revision to show: the live one while there is one, else the newest readable
        (none for a draft its author withdrew before submitting it)."""
        return self.live or self.latest


def looks_like_id(q: str) -> bool:
    return _ID.fullmatch(q.strip().lower()) is not None


def _listed(status: ContentStatus | None) -> Any:
    """Contents with the revision their title comes from and their author, by the operators'
    visibility (and ``status`` when given)."""
    title_of = func.coalesce(col(Content.live_revision_id), col(Content.working_revision_id))
    query = (
        select(Content, Revision.title, User.display_name)
        .join(Revision, col(Revision.id) == title_of)
        .join(User, col(User.id) == col(Content.owner_id))
        .where(col(Content.status) != ContentStatus.draft)
    )
    return query.where(col(Content.status) == status) if status is not None else query


def _check_status(status: ContentStatus | None) -> None:
    if status == ContentStatus.draft:
        raise Invalid("drafts are their authors' own; choose another status", field="status")


async def find(
    session: AsyncSession,
    admin: User,
    *,
    q: str | None = None,
    status: ContentStatus | None = None,
    cursor: str | None = None,
    limit: int = 30,
) -> tuple[list[Found], str | None]:
    """Contents for an operator. Without ``q``: the latest (newest first, ``status`` when given),
    paged by ``cursor``. With an id: that content, whatever its status (``status`` is not
    applied). With words: published
    contents through the discovery search (``search.search``, best first, as viewers find them),
    then the unpublished ones whose title holds ``q`` as it is — at most ``limit`` of each kind,
    no further pages (more words narrow it).

    Unpublished contents are matched by a plain ``LIKE`` on the title of the revision they show,
    not through the search index: the index holds only what is published (viewers search it, and
    publishing, edits and takedowns keep it so), and operators look for unpublished content
    rarely, with exact words from a title or an id in hand; a scan of those rows, bounded by
    ``limit``, is cheaper than indexing every revision in review for them."""
    require_role(admin, Role.admin)
    _check_status(status)
    words = (q or "").strip()
    if not words:
        query = _listed(status)
        page, next_cursor = await page_by_id(
            session, query, col(Content.id), cursor, limit, key=lambda r: r[0].id, newest_first=True
        )
        return [Found(c, t, a) for c, t, a in page], next_cursor
    if looks_like_id(words):
        row = (await session.exec(_listed(None).where(Content.id == words.lower()))).first()
        return ([Found(*row)] if row else []), None
    out: list[Found] = []
    if status in (None, ContentStatus.published):
        hits = await search.search(session, words, limit=limit)
        out += [Found(h.card.content, h.card.revision.title, h.card.author.display_name)
                for h in hits.hits]  # fmt: skip
    if status != ContentStatus.published:
        query = (
            _listed(status)
            .where(col(Content.status) != ContentStatus.published)
            .where(col(Revision.title).icontains(words, autoescape=True))
            .order_by(col(Content.id).desc())
            .limit(limit)
        )
        out += [Found(c, t, a) for c, t, a in (await session.exec(query)).all()]
    return out, None


async def inspect(session: AsyncSession, admin: User, content_id: str) -> Inspection:
    """One content for an operator: its author, live and newest readable revisions, review
    history (``review.history``) and report counts. 404 for an unknown id and for another's
    draft, as the API answers."""
    require_role(admin, Role.admin)
    row = (
        await session.exec(
            select(Content, User)
            .join(User, col(User.id) == col(Content.owner_id))
            .where(Content.id == content_id)
        )
    ).first()
    if row is None:
        raise NotFound("no such content", code="content.not_found")
    content, author = row
    history = await review.history(session, admin, content.id)  # 404 for another's draft
    wanted = {i for i in (content.live_revision_id, content.working_revision_id) if i}
    revisions = {
        r.id: r
        for r in (await session.exec(select(Revision).where(col(Revision.id).in_(wanted)))).all()
    }
    live = revisions.get(content.live_revision_id or "")
    working = revisions.get(content.working_revision_id or "")
    drafting = working is not None and working.state == RevisionState.draft
    counts = await session.exec(
        select(Report.status, sa.func.count())
        .where(Report.content_id == content.id)
        .group_by(col(Report.status))
    )
    return Inspection(
        content=content,
        author=author,
        live=live,
        latest=None if drafting else working,
        drafting=drafting,
        history=history,
        reports={ReportStatus(s): int(n) for s, n in counts.all()},
        may_take_down=working is not None
        and review.find(content, working, Action.takedown) is not None,
        may_pin=review.is_public(content),
    )
