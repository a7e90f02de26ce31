"""Markdown bodies rendered to HTML that is safe to show (nothing executable survives), and the
text a viewer reads in it, tied back to the source, for screening."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

# Raw HTML in Markdown is passed through the parser and then sanitised with an allow-list,
# so harmless formatting survives and scripts, handlers and javascript: URLs do not.
_md = (
    MarkdownIt("commonmark", {"html": True, "linkify": False})
    .enable("table")
    .enable("strikethrough")
)
_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td", "sup", "sub",
}  # fmt: skip
_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def render(markdown: str) -> str:
    return nh3.clean(
        _md.render(markdown),
        tags=_TAGS,
        attributes=_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# --- what a viewer reads --------------------------------------------------------------------------
#
# Screening must read the page as viewers see it: `&#27861;` is 法, `法<span>轮</span>功` and a term
# split over two links read as one word. So a body is rendered exactly as it is served, its text
# taken from the HTML, and each visible character tied back to the source characters it came from
# (a character of an entity to the whole entity), so findings point into what the creator edits.

_MARKUP_RE = re.compile(r"[<&\[\\]")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9]{1,31});?")
# Block elements end a line of what the viewer reads: words on both sides are not one word.
_BLOCK_TAGS = frozenset(
    ("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "li",
     "table", "thead", "tbody", "tr", "th", "td")
)  # fmt: skip
_ALIGN_LOOKAHEAD = 4096  # how far the source is searched for one visible character


@dataclass(frozen=True, slots=True)
class Visible:
    """The text a viewer reads, and for each of its characters the source span it came from
    (`None`: the same as the source)."""

    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span of the visible characters [start, end)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def visible_text(markdown: str) -> Visible:
    """The text of `render(markdown)` as a viewer reads it, tied back to `markdown`."""
    if _MARKUP_RE.search(markdown) is None:
        # Without tags, entities, links or escapes, what renders is the source less the Markdown
        # punctuation (emphasis, headings, lists), which screening skips anyway.
        return Visible(markdown)
    parser = _TextOf()
    parser.feed(render(markdown))
    parser.close()
    text_parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for chunk in parser.chunks:
        if chunk == "\n":
            text_parts.append(chunk)
            starts.append(pos)
            ends.append(pos)
            continue
        at = markdown.find(chunk, pos, pos + _ALIGN_LOOKAHEAD + len(chunk))
        if at >= 0:  # the common case: the chunk stands in the source as it is
            text_parts.append(chunk)
            starts.extend(range(at, at + len(chunk)))
            ends.extend(range(at + 1, at + len(chunk) + 1))
            pos = at + len(chunk)
            continue
        for ch in chunk:  # entities or escapes inside: one character at a time
            start, end = _align(markdown, ch, pos)
            text_parts.append(ch)
            starts.append(start)
            ends.append(end)
            pos = end
    return Visible("".join(text_parts), starts, ends)


def _align(source: str, ch: str, pos: int) -> tuple[int, int]:
    """The source span at or after `pos` that renders as `ch`: the character itself, an entity
    or a backslash escape. Not found nearby (a character the renderer made up): an empty span."""
    limit = min(len(source), pos + _ALIGN_LOOKAHEAD)
    k = pos
    while k < limit:
        c = source[k]
        if c == ch:
            return k, k + 1
        if c == "&":
            entity = _ENTITY_RE.match(source, k)
            if entity and html.unescape(entity.group()) == ch:
                return k, entity.end()
        elif c == "\\" and source[k + 1 : k + 2] == ch:
            return k, k + 2
        k += 1
    return pos, pos
