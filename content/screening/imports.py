"""Bulk import of screening terms and rumors from CSV (columns: docs/screening.md), and the dry
run that shows what a new list would change on recent submissions."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TextIO

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Invalid
from content.models import ClaimPattern, Revision, Rumor, ScreeningTerm, Severity
from content.screening.dictionary import (
    ClaimInput,
    TermInput,
    bump_version,
    claim_spec,
    current_screener,
    rumor_spec,
    term_spec,
    validate_claim_pattern,
    validate_rumor,
    validate_term,
)
from content.screening.findings import Finding
from content.screening.patterns import ClaimSpec
from content.screening.revisions import screen_revision
from content.screening.rumors import RumorSpec
from content.screening.screener import Screener
from content.screening.terms import TermSpec

CHUNK = 500  # rows written per flush; the progress callback is called after each
TERM_COLUMNS = ("term", "category", "severity")
RUMOR_COLUMNS = ("claim", "truth", "keywords")
CLAIM_COLUMNS = ("family", "pattern", "severity", "message")
_TRUE = {"1", "true", "yes", "y", "是"}

Progress = Callable[[int], None]


class Verdict(StrEnum):
    """How a submission fares with a list: what its most severe finding does to it."""

    block = "block"
    warn = "warn"
    pass_ = "pass"  # noqa: S105 - nothing blocks or warns; not a password


@dataclass
class Change:
    """How one recent submission would be judged with the new list."""

    revision_id: str
    content_id: str
    title: str
    before: Verdict
    after: Verdict
    new_findings: list[Finding]


@dataclass
class ImportReport:
    rows: int = 0
    added: int = 0
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    checked: int = 0  # recent submissions screened again (dry run)
    changes: list[Change] = field(default_factory=list)


class ImportKind(StrEnum):
    """Which list a file fills."""

    terms = "terms"
    rumors = "rumors"
    claims = "claims"


def read_rows(handle: TextIO, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of each data row; raises `Invalid` if the header lacks a column."""
    reader = csv.DictReader(handle)
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(
            f"the CSV header must name {', '.join(columns)}; missing: {', '.join(missing)}",
            code="import.header",
        )
    return [(reader.line_num, {k: (v or "") for k, v in row.items() if k}) for row in reader]


async def import_terms(
    session: AsyncSession,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    dry_run: bool = False,
    recent: int = 200,
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport()
    existing = {
        key: term
        for key, term in (await session.exec(select(ScreeningTerm.key, ScreeningTerm.term))).all()
        if key
    }
    seen: dict[str, int] = {}
    accepted: list[TermInput] = []
    for line, row in rows:
        report.rows += 1
        try:
            entry = validate_term(
                row.get("term", ""),
                row.get("category", ""),
                row.get("severity", "").strip(),
                row.get("pinyin", "").strip().lower() in _TRUE,
            )
        except Invalid as exc:
            report.bad.append((line, f"{exc.code}: {exc.message}"))
            continue
        if entry.key in existing:
            report.duplicates.append((line, f"{entry.term!r}: already in the dictionary as "
                                            f"{existing[entry.key]!r}"))  # fmt: skip
        elif entry.key in seen:
            report.duplicates.append((line, f"{entry.term!r}: same as line {seen[entry.key]}"))
        else:
            seen[entry.key] = line
            accepted.append(entry)
    if dry_run:
        new = [TermSpec(e.term, e.category, e.severity, e.pinyin) for e in accepted]
        await _impact(session, report, new, [], recent)
    rows_out = [
        ScreeningTerm(term=e.term, category=e.category, severity=e.severity, key=e.key,
                      pinyin=e.pinyin)
        for e in accepted
    ]  # fmt: skip
    return await _write(session, report, rows_out, dry_run, progress)


async def import_rumors(
    session: AsyncSession,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    dry_run: bool = False,
    recent: int = 200,
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport()
    claims = set((await session.exec(select(Rumor.claim))).all())
    accepted: list[Rumor] = []
    for line, row in rows:
        report.rows += 1
        keywords = [k for k in row.get("keywords", "").split(";") if k.strip()]
        try:
            claim, truth, words, source = validate_rumor(
                row.get("claim", ""), row.get("truth", ""), keywords, row.get("source")
            )
        except Invalid as exc:
            report.bad.append((line, f"{exc.code}: {exc.message}"))
            continue
        if claim in claims:
            report.duplicates.append((line, f"{claim!r}: already in the library"))
            continue
        claims.add(claim)
        accepted.append(Rumor(claim=claim, truth=truth, keywords=words, source=source))
    if dry_run:
        new = [RumorSpec(r.claim, r.keywords, r.truth, r.source) for r in accepted]
        await _impact(session, report, [], new, recent)
    return await _write(session, report, accepted, dry_run, progress)


async def import_claim_patterns(
    session: AsyncSession,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    dry_run: bool = False,
    recent: int = 200,
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport()
    existing = {
        key: pattern
        for key, pattern in (await session.exec(select(ClaimPattern.key, ClaimPattern.pattern)))
    }
    seen: dict[str, int] = {}
    accepted: list[ClaimInput] = []
    for line, row in rows:
        report.rows += 1
        try:
            entry = validate_claim_pattern(
                row.get("family", ""),
                row.get("pattern", ""),
                row.get("severity", "").strip(),
                row.get("message", ""),
            )
        except Invalid as exc:
            report.bad.append((line, f"{exc.code}: {exc.message}"))
            continue
        pattern = entry.spec.pattern
        if entry.key in existing:
            report.duplicates.append((line, f"{pattern!r}: already stored as "
                                            f"{existing[entry.key]!r}"))  # fmt: skip
        elif entry.key in seen:
            report.duplicates.append((line, f"{pattern!r}: same as line {seen[entry.key]}"))
        else:
            seen[entry.key] = line
            accepted.append(entry)
    if dry_run:
        await _impact(session, report, [], [], recent, [e.spec for e in accepted])
    rows_out = [
        ClaimPattern(family=e.spec.family, pattern=e.spec.pattern, key=e.key,
                     severity=e.spec.severity, message=e.spec.message)
        for e in accepted
    ]  # fmt: skip
    return await _write(session, report, rows_out, dry_run, progress)


async def _write(
    session: AsyncSession,
    report: ImportReport,
    rows: Sequence[ScreeningTerm | Rumor | ClaimPattern],
    dry_run: bool,
    progress: Progress | None,
) -> ImportReport:
    """Add the accepted rows in chunks (nothing on a dry run) and mark the dictionary changed."""
    if dry_run:
        report.added = len(rows)
        return report
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        session.add_all(chunk)
        await session.flush()
        report.added += len(chunk)
        if progress:
            progress(len(chunk))
    if rows:
        await bump_version(session)
    return report


def _verdict(findings: list[Finding]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.block in severities:
        return Verdict.block
    return Verdict.warn if Severity.warn in severities else Verdict.pass_


async def _impact(
    session: AsyncSession,
    report: ImportReport,
    terms: list[TermSpec],
    rumors: list[RumorSpec],
    recent: int,
    claims: list[ClaimSpec] | None = None,
) -> None:
    """Screen the most recent submissions with the current list and with the new one."""
    before = await current_screener(session)
    all_terms = [term_spec(t) for t in (await session.exec(select(ScreeningTerm))).all()]
    all_rumors = [rumor_spec(r) for r in (await session.exec(select(Rumor))).all()]
    all_claims = [claim_spec(c) for c in (await session.exec(select(ClaimPattern))).all()]
    after = Screener(
        [*all_terms, *terms],
        [*all_rumors, *rumors],
        version=before.version,
        claims=[*all_claims, *(claims or [])],
    )
    revisions = (
        await session.exec(
            select(Revision)
            .where(col(Revision.submitted_at).is_not(None))
            .order_by(col(Revision.submitted_at).desc())
            .limit(recent)
        )
    ).all()
    for revision in revisions:
        old = screen_revision(before, revision)
        new = screen_revision(after, revision)
        report.checked += 1
        known = {(f.check, f.field, f.start, f.end, f.severity) for f in old}
        added = [f for f in new if (f.check, f.field, f.start, f.end, f.severity) not in known]
        if _verdict(old) != _verdict(new) or added:
            report.changes.append(
                Change(revision.id, revision.content_id, revision.title, _verdict(old),
                       _verdict(new), added)
            )  # fmt: skip


Importer = Callable[..., Awaitable[ImportReport]]
IMPORTS: dict[ImportKind, tuple[tuple[str, ...], Importer]] = {
    ImportKind.terms: (TERM_COLUMNS, import_terms),
    ImportKind.rumors: (RUMOR_COLUMNS, import_rumors),
    ImportKind.claims: (CLAIM_COLUMNS, import_claim_patterns),
}
IMPORT_COLUMNS: dict[ImportKind, tuple[str, ...]] = {k: c for k, (c, _) in IMPORTS.items()}


def read_file(data: bytes, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of an uploaded CSV file, read as `kepu screening import` reads one: UTF-8 (a byte
    order mark is allowed). Raises `Invalid` when it is not text or not CSV, or (`read_rows`) when
    its header lacks a column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"the file is not UTF-8 text (byte {exc.start + 1} is not UTF-8): save it as CSV "
            "in UTF-8",
            field="file",
            code="import.not_text",
        ) from None
    if "\x00" in text:
        raise Invalid(
            "the file holds NUL bytes: it is not a CSV text file", field="file",
            code="import.not_text",
        )  # fmt: skip
    try:
        return read_rows(io.StringIO(text, newline=""), columns)
    except csv.Error as exc:
        raise Invalid(f"the file is not CSV: {exc}", field="file", code="import.not_text") from None


async def import_file(
    session: AsyncSession,
    kind: ImportKind,
    data: bytes,
    *,
    dry_run: bool = False,
    recent: int = 200,
) -> ImportReport:
    """Import an uploaded CSV file into the list `kind` names: the columns and the service of
    `kepu screening import` (`--rumors`, `--claims`), with the same report."""
    columns, run = IMPORTS[kind]
    return await run(session, read_file(data, columns), dry_run=dry_run, recent=recent)
