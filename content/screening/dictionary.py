"""The screening dictionary and rumor library that operators keep, and the screener built from
them, which every process uses from its next screening after a change."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import partial

import anyio
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Conflict, Invalid, NotFound
from content.kit import page_by_id
from content.models import ClaimPattern, Rumor, ScreeningTerm, ScreeningVersion, Severity
from content.screening.fold import HAN_RE, normalize
from content.screening.patterns import ClaimSpec, compile_pattern
from content.screening.rumors import RumorSpec, required_groups
from content.screening.screener import Screener
from content.screening.terms import TermSpec
from infra.clock import utcnow

TERM_MAX = 100
CATEGORY_MAX = 32
KEYWORDS_MAX = 20
KEYWORD_MAX = 50


@dataclass
class _Cache:
    # The database the screener was built from, and its dictionary version: versions count per
    # database, so two databases used by one process (tests, tools) must not share a screener.
    key: tuple[str, int] | None = None
    screener: Screener | None = None


_cache = _Cache()
# Screenings that find the screener out of date wait here for the one that rebuilds it.
_building = anyio.Lock()


async def dictionary_version(session: AsyncSession) -> int:
    row = await session.get(ScreeningVersion, 1, populate_existing=True)
    return row.version if row is not None else 0


async def bump_version(session: AsyncSession) -> int:
    """Mark the dictionary changed; the new version is visible to others at commit."""
    result = await session.exec(
        sa.update(ScreeningVersion)
        .where(col(ScreeningVersion.id) == 1)
        .values(version=col(ScreeningVersion.version) + 1, updated_at=utcnow())
    )
    if result.rowcount == 0:  # a database created without the migration's row
        session.add(ScreeningVersion(id=1, version=1))
        await session.flush()
    return await dictionary_version(session)


def term_spec(row: ScreeningTerm) -> TermSpec:
    return TermSpec(row.term, row.category, row.severity, pinyin=row.pinyin)


def rumor_spec(row: Rumor) -> RumorSpec:
    return RumorSpec(row.claim, list(row.keywords), row.truth, row.source, ref=row.id)


def claim_spec(row: ClaimPattern) -> ClaimSpec:
    return ClaimSpec(row.family, row.pattern, row.severity, row.message, ref=row.id)


async def current_screener(session: AsyncSession) -> Screener:
    """The screener of the dictionary's current version (one primary-key read). After a change it
    is rebuilt in a worker thread, once however many screenings wait for it."""
    version = await dictionary_version(session)
    key = (_database_of(session), version)
    if _cache.screener is not None and _cache.key == key:
        return _cache.screener
    async with _building:
        # Whoever held the lock before may have built this very version.
        if _cache.screener is None or _cache.key != key:
            terms = [term_spec(t) for t in (await session.exec(select(ScreeningTerm))).all()]
            rumors = [rumor_spec(r) for r in (await session.exec(select(Rumor))).all()]
            claims = [claim_spec(c) for c in (await session.exec(select(ClaimPattern))).all()]
            build = partial(Screener, terms, rumors, version=version, claims=claims)
            _cache.screener = await anyio.to_thread.run_sync(build)
            _cache.key = key
        return _cache.screener


def _database_of(session: AsyncSession) -> str:
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    return engine.url.render_as_string(hide_password=True)


def _refuse_control_characters(value: str, field: str, code: str) -> None:
    # NUL and other control characters: invisible, break some databases and terminals, and
    # make two entries that look the same differ.
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        raise Invalid(f"{field} contains a control character (such as NUL)", field=field, code=code)


@dataclass(frozen=True)
class TermInput:
    """A term that passed validation, with the key it is matched by."""

    term: str
    category: str
    severity: Severity
    pinyin: bool
    key: str


def validate_term(term: str, category: str, severity: str, pinyin: bool = False) -> TermInput:
    """A term an operator entered, checked; raises `Invalid` with a stable code."""
    _refuse_control_characters(term, "term", "term.control_character")
    _refuse_control_characters(category, "category", "term.control_character")
    term, category = term.strip(), category.strip()
    if not term or len(term) > TERM_MAX:
        raise Invalid(f"term: 1–{TERM_MAX} characters", field="term", code="term.length")
    key = normalize(term)
    if not key:
        raise Invalid(
            "the term has nothing to match once punctuation, symbols and spaces are ignored",
            field="term",
            code="term.nothing_to_match",
        )
    if not category or len(category) > CATEGORY_MAX:
        raise Invalid(
            f"category: 1–{CATEGORY_MAX} characters", field="category", code="term.category"
        )
    if severity not in {s.value for s in Severity}:
        raise Invalid("severity is block, warn or info", field="severity", code="term.severity")
    if pinyin and (HAN_RE.fullmatch(key) is None or len(key) < 3):
        raise Invalid(
            "pinyin and homophone matching is for terms of three or more Chinese characters "
            "(shorter ones have too many innocent homophones)",
            field="pinyin",
            code="term.pinyin_too_short",
        )
    return TermInput(term, category, Severity(severity), pinyin, key)


async def _variant_of(session: AsyncSession, entry: TermInput) -> ScreeningTerm | None:
    return (await session.exec(select(ScreeningTerm).where(ScreeningTerm.key == entry.key))).first()


def _refuse_duplicate(entry: TermInput, existing: ScreeningTerm) -> None:
    if existing.term == entry.term:
        raise Conflict(f"the term {entry.term!r} is already in the dictionary", code="term.exists")
    raise Invalid(
        f"the term {entry.term!r} matches exactly what {existing.term!r} already matches "
        "(they differ only in case, width, traditional/simplified form or separators)",
        field="term",
        code="term.variant_exists",
        existing_id=existing.id,
    )


async def add_term(
    session: AsyncSession, term: str, category: str, severity: str, pinyin: bool = False
) -> ScreeningTerm:
    entry = validate_term(term, category, severity, pinyin)
    existing = await _variant_of(session, entry)
    if existing is not None:
        _refuse_duplicate(entry, existing)
    row = ScreeningTerm(
        term=entry.term,
        category=entry.category,
        severity=entry.severity,
        key=entry.key,
        pinyin=entry.pinyin,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:  # entered at the same moment by someone else
        existing = await _variant_of(session, entry)
        if existing is not None:
            _refuse_duplicate(entry, existing)
        raise Conflict(
            f"the term {entry.term!r} is already in the dictionary", code="term.exists"
        ) from exc
    await bump_version(session)
    return row


async def list_terms(
    session: AsyncSession,
    cursor: str | None,
    limit: int,
    *,
    search: str | None = None,
    newest_first: bool = False,
) -> tuple[list[ScreeningTerm], str | None]:
    """A page of the dictionary. `search`: terms that contain it as written or as matched
    (folded: case, width, traditional form, separators), or whose category it is."""
    query = select(ScreeningTerm)
    words = (search or "").strip()
    if words:
        found = [
            col(ScreeningTerm.term).contains(words, autoescape=True),
            col(ScreeningTerm.category) == words,
        ]
        if key := normalize(words):
            found.append(col(ScreeningTerm.key).contains(key, autoescape=True))
        query = query.where(sa.or_(*found))
    return await page_by_id(
        session,
        query,
        col(ScreeningTerm.id),
        cursor,
        limit,
        key=lambda t: t.id,
        newest_first=newest_first,
    )


async def delete_term(session: AsyncSession, term_id: str) -> None:
    row = await session.get(ScreeningTerm, term_id)
    if row is None:
        raise NotFound("no such term", code="term.not_found")
    await session.delete(row)
    await bump_version(session)


async def list_rumors(
    session: AsyncSession, cursor: str | None, limit: int
) -> tuple[list[Rumor], str | None]:
    return await page_by_id(
        session, select(Rumor), col(Rumor.id), cursor, limit, key=lambda r: r.id, newest_first=True
    )


def validate_rumor(
    claim: str, truth: str, keywords: list[str], source: str | None
) -> tuple[str, str, list[str], str | None]:
    """A rumor an operator entered, checked; raises `Invalid` with a stable code. Without
    keywords, the claim must hold at least two words that carry meaning to recognise it by."""
    for name, value in (("claim", claim), ("truth", truth), ("source", source or "")):
        _refuse_control_characters(value, name, "rumor.control_character")
    for word in keywords:
        _refuse_control_characters(word, "keywords", "rumor.control_character")
    claim, truth = claim.strip(), truth.strip()
    words = [k.strip() for k in keywords if k.strip()]
    if not claim or len(claim) > 500:
        raise Invalid("claim: 1–500 characters", field="claim", code="rumor.claim")
    if not normalize(claim):
        raise Invalid("the claim has no words in it", field="claim", code="rumor.claim")
    if not truth or len(truth) > 5000:
        raise Invalid("truth: 1–5000 characters", field="truth", code="rumor.truth")
    if len(words) > KEYWORDS_MAX or any(len(k) > KEYWORD_MAX for k in words):
        raise Invalid(
            f"keywords: at most {KEYWORDS_MAX}, each at most {KEYWORD_MAX} characters",
            field="keywords",
            code="rumor.keywords",
        )
    if any(not normalize(alt) for k in words for alt in k.split("|")):
        raise Invalid(
            "a keyword has nothing to match once punctuation and spaces are ignored",
            field="keywords",
            code="rumor.keywords",
        )
    groups, _ = required_groups(RumorSpec(claim, words, truth))
    if len(groups) < 2:
        raise Invalid(
            "give at least two keywords: the claim alone has fewer than two words that carry "
            "meaning, and one word would flag every text that mentions it",
            field="keywords",
            code="rumor.no_keywords",
        )
    return claim, truth, words, (source or "").strip() or None


async def add_rumor(
    session: AsyncSession, claim: str, truth: str, keywords: list[str], source: str | None
) -> Rumor:
    claim, truth, words, source = validate_rumor(claim, truth, keywords, source)
    row = Rumor(claim=claim, truth=truth, keywords=words, source=source)
    session.add(row)
    await session.flush()
    await bump_version(session)
    return row


async def delete_rumor(session: AsyncSession, rumor_id: str) -> None:
    row = await session.get(Rumor, rumor_id)
    if row is None:
        raise NotFound("no such rumor", code="rumor.not_found")
    await session.delete(row)
    await bump_version(session)


FAMILY_MAX = 32
MESSAGE_MAX = 500


@dataclass(frozen=True)
class ClaimInput:
    """A claim pattern that passed validation, with the key it is matched by."""

    spec: ClaimSpec
    key: str


def validate_claim_pattern(family: str, pattern: str, severity: str, message: str) -> ClaimInput:
    """A claim pattern an operator entered, checked and compiled; raises `Invalid` with a stable
    code (the pattern's codes: content/screening/patterns.py)."""
    for name, value in (("family", family), ("pattern", pattern), ("message", message)):
        _refuse_control_characters(value, name, "claim.control_character")
    family, pattern, message = family.strip(), pattern.strip(), message.strip()
    if not family or len(family) > FAMILY_MAX:
        raise Invalid(f"family: 1–{FAMILY_MAX} characters", field="family", code="claim.family")
    if not message or len(message) > MESSAGE_MAX:
        raise Invalid(f"message: 1–{MESSAGE_MAX} characters", field="message", code="claim.message")
    if severity not in {s.value for s in Severity}:
        raise Invalid("severity is block, warn or info", field="severity", code="claim.severity")
    spec = ClaimSpec(family, pattern, Severity(severity), message)
    return ClaimInput(spec, compile_pattern(spec).key)


def _claim_row(entry: ClaimInput) -> ClaimPattern:
    spec = entry.spec
    return ClaimPattern(family=spec.family, pattern=spec.pattern, key=entry.key,
                        severity=spec.severity, message=spec.message)  # fmt: skip


async def add_claim_pattern(
    session: AsyncSession, family: str, pattern: str, severity: str, message: str
) -> ClaimPattern:
    entry = validate_claim_pattern(family, pattern, severity, message)
    exists = Conflict(
        f"the pattern {entry.spec.pattern!r} matches exactly what a stored pattern matches",
        code="claim.exists",
    )
    if (await session.exec(select(ClaimPattern).where(ClaimPattern.key == entry.key))).first():
        raise exists
    row = _claim_row(entry)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:  # entered at the same moment by someone else
        raise exists from exc
    await bump_version(session)
    return row


async def list_claim_patterns(
    session: AsyncSession, cursor: str | None, limit: int, *, newest_first: bool = False
) -> tuple[list[ClaimPattern], str | None]:
    return await page_by_id(
        session,
        select(ClaimPattern),
        col(ClaimPattern.id),
        cursor,
        limit,
        key=lambda c: c.id,
        newest_first=newest_first,
    )


@dataclass(frozen=True)
class ListSizes:
    terms: int
    claims: int
    rumors: int


async def list_sizes(session: AsyncSession) -> ListSizes:
    """How many terms, claim patterns and rumors operators keep (one statement)."""

    def count(
        model: type[ScreeningTerm] | type[ClaimPattern] | type[Rumor],
    ) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(model).scalar_subquery()

    query = select(count(ScreeningTerm), count(ClaimPattern), count(Rumor))
    terms, claims, rumors = (await session.exec(query)).one()
    return ListSizes(terms, claims, rumors)


async def delete_claim_pattern(session: AsyncSession, pattern_id: str) -> None:
    row = await session.get(ClaimPattern, pattern_id)
    if row is None:
        raise NotFound("no such claim pattern", code="claim.not_found")
    await session.delete(row)
    await bump_version(session)
