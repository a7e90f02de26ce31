"""What of a revision screening reads: the machine stage and an import's dry run read the same.
Besides the fields the creator typed, the text read off its media (a video's frames and
subtitles, the lines on its cover and pictures) is screened the same way, each finding there
given the moment it is on screen (`t_start`, `t_end`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from content.models import Revision
from content.screening.findings import Finding
from content.screening.screener import Screener

# The fields of text read off media, in the order findings are listed.
TIMED_FIELDS = ("video_text", "subtitles", "cover_text", "image_text")
Segments = Sequence[Mapping[str, Any]]


def revision_fields(revision: Revision) -> dict[str, str]:
    """The texts of a revision that are screened, by field."""
    return {
        "title": revision.title,
        "summary": revision.summary,
        "body": revision.body or "",
        "references": "\n".join(r.get("title", "") for r in revision.references),
    }


def screen_revision(
    screener: Screener, revision: Revision, timed: Mapping[str, Segments] | None = None
) -> list[Finding]:
    """Findings of the revision's fields and of the text read off its media (``timed``: segments
    by field, each with ``text`` and, on a video, ``t_start``/``t_end``)."""
    fields: dict[str, str] = revision_fields(revision)
    spans: dict[str, list[tuple[int, int, Mapping[str, Any]]]] = {}
    for name in TIMED_FIELDS:
        if timed and timed.get(name):
            fields[name], spans[name] = _joined(timed[name])
    findings = screener.scan(fields, has_references=bool(revision.references))
    return [_placed(f, spans[f.field]) if f.field in spans else f for f in findings]


def _joined(segments: Segments) -> tuple[str, list[tuple[int, int, Mapping[str, Any]]]]:
    """The segments' text, a line each, and where each one lies in it."""
    parts: list[str] = []
    spans: list[tuple[int, int, Mapping[str, Any]]] = []
    offset = 0
    for segment in segments:
        text = str(segment.get("text", ""))
        spans.append((offset, offset + len(text), segment))
        parts.append(text)
        offset += len(text) + 1
    return "\n".join(parts), spans


def _placed(finding: Finding, spans: list[tuple[int, int, Mapping[str, Any]]]) -> Finding:
    """``finding`` with the time of the segments it lies in (a term split over two subtitles
    spans both)."""
    times = [
        (segment["t_start"], segment["t_end"])
        for start, end, segment in spans
        if start < max(finding.end, finding.start + 1)
        and finding.start < end
        and segment.get("t_start") is not None
    ]
    if not times:
        return finding
    return replace(finding, t_start=min(t for t, _ in times), t_end=max(t for _, t in times))
