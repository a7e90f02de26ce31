"""The searchable text of a revision: what viewers read of it, by field, and the text read off
its media by machine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from content.kit import PARAGRAPH, visible_text
from content.models import Media, Revision

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


def media_lines(revision: Revision, media: Mapping[str, Media]) -> list[str]:
    """The text read off the revision's video and cover (``media`` by id; others are ignored),
    a line each, each line once: the creator's subtitles when the video has them, else the text
    read off its frames (the two mostly say the same words, and subtitles say them right), then
    the lines on the cover."""
    segments: list[Sequence[Mapping[str, Any]]] = []
    video = media.get(revision.media_id or "")
    if video is not None:
        segments.append(video.captions or video.text_segments)
    cover = media.get(revision.cover_media_id or "")
    if cover is not None:
        segments.append(cover.text_segments)
    return _distinct(str(s.get("text", "")) for group in segments for s in group)


def _distinct(lines: Iterable[str]) -> list[str]:
    """Each line once (a line shown again later is a segment of its own), blanks dropped."""
    seen: set[str] = set()
    out: list[str] = []
    for line in lines:
        key = "".join(line.split())
        if key and key not in seen:
            seen.add(key)
            out.append(line.strip())
    return out


def searchable_text(revision: Revision, media: Mapping[str, Media] | None = None) -> SearchableText:
    """The text search indexes for ``revision``. The text read off its video and cover by machine
    (`media_lines`; ``media``: its media rows by id) joins here, as more body text, within the
    body's bound."""
    body = body_text(revision)
    extra = "\n".join(media_lines(revision, media or {}))
    if extra:
        body = f"{body}\n{extra}" if body else extra
    return SearchableText(revision.title, revision.summary, body[:MAX_BODY_CHARS])
