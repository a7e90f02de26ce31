"""Markdown bodies rendered to HTML that is safe to show (nothing executable, no image from
outside our media: a tracking pixel), and the text a viewer reads, tied back to the source."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

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


def _is_under(url: str, base: str) -> bool:
    """``url`` is on ``base``'s scheme and host and under its path (not merely a string prefix:
    https://cdn.example.com.evil.org is not under https://cdn.example.com)."""
    u, b = urlsplit(url), urlsplit(base)
    return (
        u.scheme == b.scheme
        and u.netloc.lower() == b.netloc.lower()
        and (u.path + "/").startswith(b.path.rstrip("/") + "/")
    )


def render(markdown: str, image_bases: Iterable[str] = ()) -> str:
    """Sanitised HTML of ``markdown``; an ``<img>`` keeps its ``src`` only when it lies under
    one of ``image_bases`` (where our published media is served), otherwise it loads nothing."""
    bases = tuple(b for b in image_bases if b)

    def keep(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src" and not any(_is_under(value, b) for b in bases):
            return None
        return value

    return nh3.clean(
        _md.render(markdown),
        tags=_TAGS,
        attributes=_ATTRS,
        attribute_filter=keep,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# --- what a viewer reads --------------------------------------------------------------------------
#
# Screening must read the page as viewers see it: `&#27861;` is 法, `法<span>轮</span>功` and a term
# split over two links read as one word. Rendering every body with the Markdown parser costs more
# than all the checks together (a pure-Python parser reads well under 1 MB/s), so a single regular
# expression takes out what rendering takes out — comments, scripts, tags, images, link syntax,
# reference definitions — and decodes entities and escapes, keeping each visible character tied
# to the source characters it came from (a character of an entity to the whole entity), so
# findings point into what the creator edits. Where it differs from the renderer it shows more,
# not less (an entity inside a code span is decoded here, shown raw there): a term it reads that
# a viewer would not is a hint for a human, never a term hidden from the screener.

_MARKUP_RE = re.compile(r"[<&\[\\]")
# Repetitions are bounded (link text, destinations), so a body of brackets costs linear time.
# Every alternative begins with a literal character, so the regex engine skips ahead to the next
# `<`, `!`, `[`, `]`, `&`, `\\` or newline instead of trying every alternative at every position.
_TOKEN_RE = re.compile(
    r"<!--[\s\S]*?(?:-->|$)"  # comments
    r"|<(?i:script|style|textarea)\b[\s\S]*?(?:</(?i:script|style|textarea)\s*>|$)"
    r"|!\[[^\]\n]{0,300}\]\([^)\n]{0,2000}\)"  # images: their alt text is not read
    r"|\n {0,3}\[[^\]\n]{1,300}\]:[^\n]*"  # link reference definitions
    r"|\](?:\((?:[^()\n]|\([^()\n]{0,300}\)){0,2000}\))"  # the (destination "title") of a link
    r"|\]\[[^\]\n]{0,300}\]"  # the [label] of a reference link
    r"|\[(?=[^\]\n]{0,300}\][\[(])"  # the bracket opening a link
    r"|<(?P<tag>/?(?P<name>[A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?)>"
    r"|&(?P<entity>#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"
    r"|\\(?P<escaped>[!-/:-@\[-`{-~])"
)
# Block elements end a line of what the viewer reads: words on both sides are not one word.
_BLOCK_TAGS = frozenset(
    ("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "li",
     "table", "thead", "tbody", "tr", "th", "td", "div", "section", "article")
)  # fmt: skip


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


def visible_text(markdown: str) -> Visible:
    """The text of `render(markdown)` as a viewer reads it, tied back to `markdown`."""
    if _MARKUP_RE.search(markdown) is None:
        # Without tags, entities, links or escapes, what renders is the source less the Markdown
        # punctuation (emphasis, headings, lists), which screening skips anyway.
        return Visible(markdown)
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0

    def emit(chars: str, start: int, end: int) -> None:
        parts.append(chars)
        starts.extend([start] * len(chars))
        ends.extend([end] * len(chars))

    for token in _TOKEN_RE.finditer(markdown):
        first, after = token.span()
        if first > pos:
            parts.append(markdown[pos:first])
            starts.extend(range(pos, first))
            ends.extend(range(pos + 1, first + 1))
        pos = after
        if token["entity"]:
            emit(html.unescape("&" + token["entity"]), first, after)
        elif token["escaped"]:
            emit(token["escaped"], first, after)
        elif token["tag"] and token["name"].lower() in _BLOCK_TAGS:
            emit("\n", first, after)
    if pos < len(markdown):
        parts.append(markdown[pos:])
        starts.extend(range(pos, len(markdown)))
        ends.extend(range(pos + 1, len(markdown) + 1))
    return Visible("".join(parts), starts, ends)
