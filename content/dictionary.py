"""The screening dictionary and the rumor library that operators keep, and the screener built
from them (rebuilt only when either changes)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Conflict, Invalid, NotFound
from content.models import Rumor, ScreeningTerm, Severity
from content.screening import RumorSpec, Screener, TermSpec, normalize

_CATEGORY_MAX = 32


@dataclass
class _Cache:
    version: tuple[object, ...] | None = None
    screener: Screener | None = None


_cache = _Cache()


async def _version(session: AsyncSession) -> tuple[object, ...]:
    terms = (await session.exec(select(func.count(), func.max(ScreeningTerm.created_at)))).one()
    rumors = (await session.exec(select(func.count(), func.max(Rumor.created_at)))).one()
    return (*terms, *rumors)


async def current_screener(session: AsyncSession) -> Screener:
    version = await _version(session)
    if _cache.screener is None or _cache.version != version:
        terms = (await session.exec(select(ScreeningTerm))).all()
        rumors = (await session.exec(select(Rumor))).all()
        _cache.screener = Screener(
            [TermSpec(t.term, t.category, t.severity.value) for t in terms],
            [RumorSpec(r.claim, list(r.keywords), r.truth) for r in rumors],
        )
        _cache.version = version
    return _cache.screener


async def list_terms(
    session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[ScreeningTerm], str | None]:
    query = select(ScreeningTerm).order_by(col(ScreeningTerm.id)).limit(limit + 1)
    if cursor:
        query = query.where(col(ScreeningTerm.id) > cursor)
    rows = list((await session.exec(query)).all())
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit and page else None)


async def add_term(session: AsyncSession, term: str, category: str, severity: str) -> ScreeningTerm:
    term, category = term.strip(), category.strip()
    if not term or len(term) > 100:
        raise Invalid("term: 1–100 characters", field="term")
    if not normalize(term):
        raise Invalid("term has nothing to match once punctuation is ignored", field="term")
    if not category or len(category) > _CATEGORY_MAX:
        raise Invalid(f"category: 1–{_CATEGORY_MAX} characters", field="category")
    if severity not in Severity.__members__:
        raise Invalid("severity is block, warn or info", field="severity")
    row = ScreeningTerm(term=term, category=category, severity=Severity(severity))
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"the term {term!r} is already in the dictionary", code="term.exists"
        ) from exc
    return row


async def delete_term(session: AsyncSession, term_id: str) -> None:
    row = await session.get(ScreeningTerm, term_id)
    if row is None:
        raise NotFound("no such term", code="term.not_found")
    await session.delete(row)


async def list_rumors(
    session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[Rumor], str | None]:
    query = select(Rumor).order_by(col(Rumor.id).desc()).limit(limit + 1)
    if cursor:
        query = query.where(col(Rumor.id) < cursor)
    rows = list((await session.exec(query)).all())
    page = rows[:limit]
    return page, (page[-1].id if len(rows) > limit and page else None)


async def add_rumor(
    session: AsyncSession, claim: str, truth: str, keywords: list[str], source: str | None
) -> Rumor:
    claim, truth = claim.strip(), truth.strip()
    words = [k.strip() for k in keywords if k.strip()]
    if not claim or len(claim) > 500:
        raise Invalid("claim: 1–500 characters", field="claim")
    if not truth or len(truth) > 5000:
        raise Invalid("truth: 1–5000 characters", field="truth")
    if len(words) > 20 or any(len(k) > 50 for k in words):
        raise Invalid("keywords: at most 20, each at most 50 characters", field="keywords")
    row = Rumor(claim=claim, truth=truth, keywords=words, source=(source or "").strip() or None)
    session.add(row)
    await session.flush()
    return row


async def delete_rumor(session: AsyncSession, rumor_id: str) -> None:
    row = await session.get(Rumor, rumor_id)
    if row is None:
        raise NotFound("no such rumor", code="rumor.not_found")
    await session.delete(row)
