"""What a review page marks in the text: the machine findings at their offsets, and what changed
since the previous revision, character by character (words in Chinese are not space-separated,
so characters are the unit a reader compares)."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from content.models import Revision, Severity
from content.screening import SEVERITY_RANK, revision_fields

DIFFED_FIELDS = ("title", "summary", "body")


@dataclass(frozen=True)
class Piece:
    """A run of a field's text; ``findings`` are the indexes (into the revision's findings) of
    those covering it, ``severity`` the gravest of them."""

    text: str
    findings: tuple[int, ...] = ()
    severity: Severity | None = None
    starts: tuple[int, ...] = ()  # the findings whose first run this is


@dataclass(frozen=True)
class MarkedField:
    field: str
    pieces: list[Piece]


def mark_findings(
    fields: Mapping[str, str], findings: Sequence[Mapping[str, Any]]
) -> list[MarkedField]:
    """Each field that has findings, cut at the findings' offsets (clamped to the text): the
    runs between cuts carry the findings covering them. Fields without findings are left out."""
    out = []
    for name, text in fields.items():
        spans = [
            (i, max(0, min(int(f["start"]), len(text))), max(0, min(int(f["end"]), len(text))))
            for i, f in enumerate(findings)
            if f.get("field") == name
        ]
        spans = [(i, s, e) for i, s, e in spans if e > s]
        if not spans:
            continue
        cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(e for _, _, e in spans)})
        pieces = []
        for a, b in itertools.pairwise(cuts):
            covering = tuple(i for i, s, e in spans if s <= a and b <= e)
            starts = tuple(i for i, s, _ in spans if s == a)
            gravest = max(
                (Severity(findings[i]["severity"]) for i in covering),
                key=lambda sev: SEVERITY_RANK[sev],
                default=None,
            )
            pieces.append(Piece(text[a:b], covering, gravest, starts))
        out.append(MarkedField(name, pieces))
    return out


def marked_revision(revision: Revision) -> list[MarkedField]:
    """The screened fields of ``revision`` with its findings marked."""
    return mark_findings(revision_fields(revision), revision.findings or [])


@dataclass(frozen=True)
class Change:
    """A run of text: ``kind`` is ``same``, ``added`` or ``removed``."""

    kind: str
    text: str


@dataclass(frozen=True)
class FieldDiff:
    field: str
    changes: list[Change]


def diff_text(old: str, new: str) -> list[Change]:
    """``old`` → ``new`` character by character, as runs of kept, removed and added text."""
    # Without the heuristic that ignores frequent characters (的, 是…), but only where the
    # texts are short enough for that to stay quick.
    exact = len(old) + len(new) <= 20_000
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=not exact)
    out: list[Change] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(Change("same", old[a1:a2]))
            continue
        if a2 > a1:
            out.append(Change("removed", old[a1:a2]))
        if b2 > b1:
            out.append(Change("added", new[b1:b2]))
    return out


def diff_revisions(old: Revision, new: Revision) -> list[FieldDiff]:
    """What changed from ``old`` to ``new`` in the title, the summary and the body; a field that
    did not change is left out."""
    out = []
    for name in DIFFED_FIELDS:
        before, after = getattr(old, name) or "", getattr(new, name) or ""
        if before != after:
            out.append(FieldDiff(name, diff_text(before, after)))
    return out
