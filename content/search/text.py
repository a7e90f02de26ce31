"""The searchable text of a revision: what viewers read of it, by field."""

from __future__ import annotations

from dataclasses import dataclass

from content.kit import PARAGRAPH, visible_text
from content.models import Revision

# A body's words beyond this many characters are not indexed (a tsvector holds at most 1 MB):
# search finds an article by what it is about, which its first pages say.
MAX_BODY_CHARS = 100_000


@dataclass(frozen=True)
class SearchableText:
    title: str
    summary: str
    body: str


def body_text(revision: Revision) -> str:
    """What a reader sees of the body: Markdown reduced to its visible text."""
    if not revision.body:
        return ""
    return visible_text(revision.body).text.replace(PARAGRAPH, "\n")


def searchable_text(revision: Revision) -> SearchableText:
    """The text search indexes for ``revision``. The machine-read text of a video (what OCR or
    speech recognition reads off it) joins here, as more body text, when it exists."""
    return SearchableText(revision.title, revision.summary, body_text(revision)[:MAX_BODY_CHARS])
