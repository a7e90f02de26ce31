"""Markdown bodies rendered to HTML that is safe to show (nothing executable, no image from
outside our media: a tracking pixel), and the text of that HTML, tied back to the source."""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import cmarkgfm
import nh3
from cmarkgfm import cmark

from content.kit.text import IGNORABLE_RE

# Raw HTML in Markdown is passed through the parser (cmark-gfm, GitHub's C CommonMark with its
# table and strikethrough extensions: screening renders every body it reads, and a Python parser
# would cost more than all its checks) and then sanitised with an allow-list, so harmless
# formatting survives and scripts, handlers and javascript: URLs do not.
_EXTENSIONS: Final = ["table", "strikethrough"]


def _to_html(markdown: str) -> str:
    return str(
        cmarkgfm.markdown_to_html_with_extensions(
            markdown, options=cmark.Options.CMARK_OPT_UNSAFE, extensions=_EXTENSIONS
        )
    )


_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td", "sup", "sub",
}  # fmt: skip
_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
_ALIGN = frozenset(("left", "center", "right"))


# An image of ours by reference: `![alt](media:<media id>)`, kept as written for the client to
# resolve (GET /media/{id} answers only for media its caller may see).
_MEDIA_REF = re.compile(r"(?i:media):(?P<id>[0-9A-Za-z]{1,64})")
# What our object keys are made of (content/media/keys.py): a path of these characters has no
# percent-encoded `.` or `/` for a browser or CDN to decode into a way out of the base.
_KEY_PATH = re.compile(r"[A-Za-z0-9._~/-]*")
# White space, controls and backslashes anywhere in a URL: browsers drop tabs and newlines and
# read `\` as `/`, so `.<tab>.` or `..\` would become `..` after any check of ours.
_UNSAFE_URL_CHARS = re.compile(r"[^\x21-\x7e]|\\")


def _is_under(url: str, base: str) -> bool:
    """``url`` is on ``base``'s scheme and host and under its path (not merely a string prefix:
    https://cdn.example.com.evil.org is not under https://cdn.example.com), and stays there
    however a browser resolves it: no `.` or `..` segment, however it is spelt."""
    if _UNSAFE_URL_CHARS.search(url):
        return False
    u, b = urlsplit(url), urlsplit(base)
    return (
        u.scheme.lower() in ("http", "https")
        and u.scheme.lower() == b.scheme.lower()
        and u.netloc.lower() == b.netloc.lower()
        and _KEY_PATH.fullmatch(u.path) is not None
        and not any(segment in (".", "..") for segment in u.path.split("/"))
        and (u.path + "/").startswith(b.path.rstrip("/") + "/")
    )


def _image_src(value: str, bases: tuple[str, ...]) -> str | None:
    """What an ``<img src>`` may be: a ``media:`` reference or a URL under one of ``bases``.
    Anything else — relative paths, `../`, `//host`, `javascript:`, `data:`, other hosts —
    loads nothing."""
    ref = _MEDIA_REF.fullmatch(value)
    if ref:
        return f"media:{ref['id']}"
    return value if any(_is_under(value, b) for b in bases) else None


def render(markdown: str, image_bases: Iterable[str] = ()) -> str:
    """Sanitised HTML of ``markdown``; an ``<img>`` keeps its ``src`` only when it is a
    ``media:<id>`` reference or lies under one of ``image_bases`` (where our published media is
    served), otherwise it loads nothing."""
    bases = tuple(b for b in image_bases if b)

    def keep(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            return _image_src(value, bases)
        if attr == "href" and _MEDIA_REF.match(value):
            return None  # a reference names an image to show, never a page to open
        if attr == "align" and value.lower() not in _ALIGN:
            return None  # free text in an attribute no one sees: not kept
        return value

    return nh3.clean(
        _to_html(markdown),
        tags=_TAGS,
        attributes=_ATTRS,
        attribute_filter=keep,
        url_schemes={"http", "https", "mailto", "media"},
        link_rel="noopener noreferrer nofollow",
    )


# --- images of ours in a body --------------------------------------------------------------------
#
# A body shows an uploaded image as `![说明](media:<id>)`. Which ids it shows is read from the
# sanitised HTML, so a reference in a code span or a link (which shows nothing) is not one; the
# API then puts a URL the viewer may load in place of each reference it is allowed to resolve.

_IMG_TAG: Final = re.compile(r"<img\b([^>]*)>")
_SRC_REF: Final = re.compile(r'\bsrc="media:([0-9A-Za-z]{1,64})"')


@dataclass(frozen=True, slots=True)
class ImageSource:
    """Where a referenced image is loaded from, and the size it is shown at."""

    url: str
    width: int
    height: int


def image_refs(markdown: str | None) -> list[str]:
    """The media ids a body shows as images, in order of first appearance."""
    if not markdown or "media:" not in markdown.lower():
        return []
    return list(dict.fromkeys(_SRC_REF.findall(render(markdown))))


def resolve_images(sanitised: str, sources: Mapping[str, ImageSource]) -> str:
    """``sanitised`` (the output of `render`) with each ``media:<id>`` image pointing at its
    source, sized so a client can lay the page out before the bytes arrive; a reference without
    a source keeps its alt text and loads nothing."""

    def resolve(tag: re.Match[str]) -> str:
        ref = _SRC_REF.search(tag[1])
        if ref is None:
            return tag[0]
        rest = (tag[1][: ref.start()] + tag[1][ref.end() :]).strip()
        source = sources.get(ref[1])
        attrs = [rest] if rest else []
        if source is not None:
            attrs = [
                f'src="{html.escape(source.url)}"',
                *attrs,
                f'width="{source.width}"',
                f'height="{source.height}"',
            ]
        return f"<img {' '.join(attrs)}>" if attrs else "<img>"

    return _IMG_TAG.sub(resolve, sanitised) if "media:" in sanitised else sanitised


# --- the text a reader sees ----------------------------------------------------------------------
#
# Screening reads the sanitised HTML itself, not a second rendering that could disagree with it:
# every text node of `render(markdown)` and the attributes a reader is shown (an image's alt text,
# a link's or an image's title). What the sanitiser drops (scripts, comments, unknown attributes)
# is in neither the HTML nor this text. Each character is tied back to the source characters it
# came from (a character of an entity or an escape to the whole of it), so findings point into
# what the creator edits; where no source character can be found — text the renderer made up —
# it points at the nearest source position.

# Elements that end a line of what the reader sees: words on both sides are not one word. Their
# boundary is read as a paragraph separator (U+2029), which screening takes for what it is.
_BLOCK_TAGS: Final = frozenset(
    ("p", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "li",
     "table", "thead", "tbody", "tr", "th", "td")
)  # fmt: skip
PARAGRAPH: Final = "\u2029"
_SHOWN_ATTRS: Final = ("alt", "title")
# nh3 serialises HTML in one form: attribute values in double quotes, `<`, `>`, `&` and `"`
# escaped, so tags and text split cleanly on `<`.
_HTML_RE: Final = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|([^<]+)")
_ATTR_RE: Final = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')
# Entities and backslash escapes of the source: where a character of the HTML may come from.
_DECODED_RE: Final = re.compile(
    r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)|\\[!-/:-@\[-`{-~]"
)
_TEXT, _ATTR, _BREAK = range(3)
# How far ahead of the last placed character the next text is looked for first (markup between two
# text nodes: tags, a link's destination); further only a few times per body, so a body made to
# defeat the search costs linear time, and inside one text node (entities, indentation) less.
_NEAR: Final = 4096
_FAR_SEARCHES: Final = 64
_CHAR_WINDOW: Final = 256


@dataclass(frozen=True, slots=True)
class Visible:
    """The text a reader sees, and where in the source each of its characters came from, as runs:
    from `vis_at[k]` on, characters stand one for one at `src_at[k]` on (`src_end[k]` is -1), or
    each for the whole span [src_at[k], src_end[k]) (an entity, or nothing: a separator). No
    runs: the text is the source."""

    text: str
    vis_at: list[int] | None = None
    src_at: list[int] | None = None
    src_end: list[int] | None = None

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span of the visible characters [start, end)."""
        if self.vis_at is None:
            return start, end
        return self._source_of(start)[0], self._source_of(end - 1)[1]

    def _source_of(self, pos: int) -> tuple[int, int]:
        assert self.vis_at is not None and self.src_at is not None and self.src_end is not None
        k = bisect_right(self.vis_at, pos) - 1
        if self.src_end[k] < 0:
            at = self.src_at[k] + pos - self.vis_at[k]
            return at, at + 1
        return self.src_at[k], self.src_end[k]


def visible_plain(text: str) -> Visible:
    """A plain text as a reader sees it: without its invisible (Default_Ignorable) code points."""
    if IGNORABLE_RE.search(text) is None:
        return Visible(text)
    builder = _Builder(text)
    builder.place_at(text, 0)
    return builder.visible()


# Text in which nothing is Markdown or HTML: no character that starts markup anywhere in a line,
# no line that starts a block (a list item, a heading, a quote, code), and no white space but
# spaces and line breaks (the parser treats tabs, form feeds, no-break and ideographic spaces
# each its own way). Such a body renders to paragraphs of its lines, trimmed.
_MARKUP_RE: Final = re.compile(r"[\\`*_\[\]!<>&|~#\x00]|[^\S \n]|^ *(?:[-+=]|\d| {4})", re.M)
_BLANK_LINE_RE: Final = re.compile(r"\n(?: *\n)+")
_LINE_RE: Final = re.compile(r" *([^\n]*?) *(?:\n|$)")


def visible_text(markdown: str) -> Visible:
    """The text of `render(markdown)` — its text nodes, and the alt texts and titles it shows —
    without invisible code points, tied back to `markdown`."""
    if _MARKUP_RE.search(markdown) is None:
        return _paragraphs(markdown)
    return _rendered(markdown)


def _rendered(markdown: str) -> Visible:
    """`visible_text`, read from the HTML the renderer makes."""
    builder = _Builder(markdown)
    for kind, piece in _read_html(render(markdown)):
        if kind == _BREAK:
            builder.separator(PARAGRAPH)
        elif kind == _ATTR:
            # Shown elsewhere than the text around it (a tooltip, in place of the image): its own
            # paragraph. A link's title comes before its text in the HTML and after it in the
            # source, so it is looked for without moving on.
            builder.separator(PARAGRAPH)
            builder.place(piece, advance=False)
            builder.separator(PARAGRAPH)
        else:
            builder.place(piece)
    return builder.visible()


def _paragraphs(markdown: str) -> Visible:
    """`visible_text` of a body without markup, read without rendering it (rendering costs more
    than all of screening): what the renderer makes of it, `<p>` by `<p>`, every line trimmed.
    tests/content/test_screening_reading.py checks the two agree."""
    builder = _Builder(markdown)
    pos = 0
    for gap in [*_BLANK_LINE_RE.finditer(markdown), None]:
        end = gap.start() if gap is not None else len(markdown)
        # Lines of spaces only can stand first or last (blank lines inside end a paragraph).
        lines = [
            (line[1], pos + line.start(1))
            for line in _LINE_RE.finditer(markdown, pos, end)
            if line[1]
        ]
        for number, (line, at) in enumerate(lines):
            builder.separator(PARAGRAPH if number == 0 else "\n", at)
            builder.place_at(line, at)
        if lines:
            builder.separator(PARAGRAPH, end)
            builder.separator("\n", end)
        if gap is not None:
            pos = gap.end()
    return builder.visible()


def _read_html(sanitised: str) -> list[tuple[int, str]]:
    """The sanitised HTML as (kind, text): text nodes, shown attributes, block boundaries."""
    pieces: list[tuple[int, str]] = []
    for token in _HTML_RE.finditer(sanitised):
        text = token[4]
        if text is not None:
            pieces.append((_TEXT, html.unescape(text) if "&" in text else text))
            continue
        name = token[2].lower()
        if name in _BLOCK_TAGS:
            pieces.append((_BREAK, ""))
        if token[1] or not token[3]:
            continue
        for attr, value in _ATTR_RE.findall(token[3]):
            if attr.lower() in _SHOWN_ATTRS and value:
                pieces.append((_ATTR, html.unescape(value)))
    return pieces


class _Builder:
    """Builds a `Visible` piece by piece, finding each piece in the source."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._parts: list[str] = []
        self._size = 0
        self._vis_at: list[int] = []
        self._src_at: list[int] = []
        self._src_end: list[int] = []
        self._cursor = 0
        self._far_searches = _FAR_SEARCHES
        self._marks: tuple[list[int], list[int], list[str]] | None = None

    def visible(self) -> Visible:
        text = "".join(self._parts)
        if text == self._source:
            return Visible(text)
        if not self._vis_at:
            return Visible(text, [0], [0], [0])
        return Visible(text, self._vis_at, self._src_at, self._src_end)

    def _run(self, chars: str, at: int, end: int) -> None:
        self._parts.append(chars)
        self._vis_at.append(self._size)
        self._src_at.append(at)
        self._src_end.append(end)
        self._size += len(chars)

    def verbatim(self, chars: str, at: int) -> None:
        """`chars`, which stand at `at` in the source."""
        if chars:
            self._run(chars, at, -1)

    def separator(self, chars: str, at: int | None = None) -> None:
        """`chars` that stand for nothing in the source: tied to `at`, or to where reading has
        got to."""
        at = self._cursor if at is None else at
        self._run(chars, at, at)

    def place_at(self, chars: str, at: int) -> None:
        """`chars`, which stand at `at` in the source, without their invisible code points."""
        if IGNORABLE_RE.search(chars) is None:
            self.verbatim(chars, at)
            return
        pos = 0
        for run in IGNORABLE_RE.finditer(chars):
            self.verbatim(chars[pos : run.start()], at + pos)
            pos = run.end()
        self.verbatim(chars[pos:], at + pos)

    def place(self, piece: str, advance: bool = True) -> None:
        """A piece of the HTML's text, found in the source from where reading has got to."""
        if IGNORABLE_RE.search(piece):
            piece = IGNORABLE_RE.sub("", piece)
        cursor = self._cursor
        lines = piece.split("\n")
        for number, line in enumerate(lines):
            if number:
                self.separator("\n")
            if line:
                cursor = self._place_line(line, cursor, advance)
                if advance:
                    self._cursor = cursor

    def _place_line(self, line: str, cursor: int, advance: bool) -> int:
        source = self._source
        at = source.find(line, cursor, cursor + _NEAR + len(line))
        if at < 0 and self._far_searches > 0:
            self._far_searches -= 1
            at = source.find(line, cursor)
            if at < 0 and not advance:  # a title defined before the link that uses it
                at = source.find(line)
        if at >= 0:
            self.verbatim(line, at)
            return at + len(line)
        return self._place_chars(line, cursor)

    def _place_chars(self, line: str, cursor: int) -> int:
        """Character by character: a character of the HTML is the next such character of the
        source, or the next entity or escape that stands for it, a short way ahead."""
        source = self._source
        for char in line:
            if char.isspace():
                self._run(char, cursor, cursor)
                continue
            limit = cursor + _CHAR_WINDOW
            start = source.find(char, cursor, limit)
            end = start + 1
            mark = self._mark_for(char, cursor, start if start >= 0 else limit)
            if mark is not None:
                start, end = mark
            if start < 0:  # nothing stands for it: the nearest position
                self._run(char, cursor, cursor)
                continue
            self._run(char, start, end)
            cursor = end
        return cursor

    def _mark_for(self, char: str, cursor: int, before: int) -> tuple[int, int] | None:
        """The first entity or escape standing for `char` in [cursor, before) of the source."""
        if self._marks is None:
            starts: list[int] = []
            ends: list[int] = []
            chars: list[str] = []
            for mark in _DECODED_RE.finditer(self._source):
                raw = mark.group()
                starts.append(mark.start())
                ends.append(mark.end())
                chars.append(raw[1] if raw[0] == "\\" else html.unescape(raw))
            self._marks = (starts, ends, chars)
        starts, ends, chars = self._marks
        k = bisect_left(starts, cursor)
        while k < len(starts) and starts[k] < before:
            if chars[k] == char:
                return starts[k], ends[k]
            k += 1
        return None
