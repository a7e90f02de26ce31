"""What operators read: a content's state after a takedown or pin, the screening dictionary and
the rumor library."""

from __future__ import annotations

from api import schemas
from content.models import ClaimPattern, Content, Rumor, ScreeningTerm


def status_out(content: Content) -> schemas.StatusOut:
    return schemas.StatusOut(id=content.id, status=content.status.value)


def pinned_out(content: Content) -> schemas.StatusOut:
    until = content.pinned_until
    return schemas.StatusOut(
        id=content.id,
        status=content.status.value,
        extra={"pinned_until": schemas.utc_iso(until) if until else None},
    )


def term_out(t: ScreeningTerm) -> schemas.TermOut:
    return schemas.TermOut(
        id=t.id,
        term=t.term,
        category=t.category,
        severity=t.severity.value,
        created_at=t.created_at,
        pinyin=t.pinyin,
    )


def terms_page(rows: list[ScreeningTerm], next_cursor: str | None) -> schemas.Page[schemas.TermOut]:
    return schemas.Page(items=[term_out(t) for t in rows], next_cursor=next_cursor)


def rumor_out(r: Rumor) -> schemas.RumorOut:
    return schemas.RumorOut(
        id=r.id,
        claim=r.claim,
        truth=r.truth,
        keywords=r.keywords,
        source=r.source,
        created_at=r.created_at,
    )


def rumors_page(rows: list[Rumor], next_cursor: str | None) -> schemas.Page[schemas.RumorOut]:
    return schemas.Page(items=[rumor_out(r) for r in rows], next_cursor=next_cursor)


def claim_pattern_out(c: ClaimPattern) -> schemas.ClaimPatternOut:
    return schemas.ClaimPatternOut(
        id=c.id,
        family=c.family,
        pattern=c.pattern,
        severity=c.severity.value,
        message=c.message,
        created_at=c.created_at,
    )


def claim_patterns_page(
    rows: list[ClaimPattern], next_cursor: str | None
) -> schemas.Page[schemas.ClaimPatternOut]:
    return schemas.Page(items=[claim_pattern_out(c) for c in rows], next_cursor=next_cursor)
