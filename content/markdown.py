"""Markdown bodies rendered to HTML that is safe to show: nothing executable survives, and no
image loads from anywhere but our own media (an outside image is a tracking pixel: it tells its
server who read what, from where)."""

from __future__ import annotations

from collections.abc import Iterable
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
