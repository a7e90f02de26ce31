"""What of a revision screening reads: the machine stage and an import's dry run read the same."""

from __future__ import annotations

from content.models import Revision
from content.screening.findings import Finding
from content.screening.screener import Screener


def revision_fields(revision: Revision) -> dict[str, str]:
    """The texts of a revision that are screened, by field."""
    return {
        "title": revision.title,
        "summary": revision.summary,
        "body": revision.body or "",
        "references": "\n".join(r.get("title", "") for r in revision.references),
    }


def screen_revision(screener: Screener, revision: Revision) -> list[Finding]:
    return screener.scan(revision_fields(revision), has_references=bool(revision.references))
