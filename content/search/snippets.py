"""Snippets: a short stretch of what a reader sees, around the first place a query's words
occur, as HTML in which only `<em>…</em>` is markup (everything else escaped), so a
mini-program's `rich-text` can show it as it is."""

from __future__ import annotations

import html
import re

SNIPPET_CHARS = 80
_BEFORE = 20  # characters kept before the first match
_SPACES = re.compile(r"\s+")


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    # Longest first, so 物理现象 is marked whole rather than 物理 inside it.
    alternatives = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)


def snippet(words: list[str], *texts: str) -> str:
    """From the first of ``texts`` that holds one of ``words`` (else the first non-empty one),
    up to ``SNIPPET_CHARS`` characters around the first such word, every occurrence of the
    words marked with `<em>`, the rest HTML-escaped, cuts shown with `…`."""
    pattern = _pattern(words)
    chosen, first = "", None
    for text in texts:
        text = _SPACES.sub(" ", text).strip()
        found = pattern.search(text) if pattern else None
        if found is not None:
            chosen, first = text, found
            break
        if not chosen:
            chosen = text
    start = max(0, first.start() - _BEFORE) if first else 0
    end = min(len(chosen), start + SNIPPET_CHARS)
    piece = chosen[start:end]
    out: list[str] = ["…"] if start > 0 else []
    at = 0
    for match in pattern.finditer(piece) if pattern else ():
        out.append(html.escape(piece[at : match.start()]))
        out.append(f"<em>{html.escape(match.group())}</em>")
        at = match.end()
    out.append(html.escape(piece[at:]))
    if end < len(chosen):
        out.append("…")
    # Words matched side by side read as one mark (雾 and 霾 of 雾霾 when jieba splits it).
    return "".join(out).replace("</em><em>", "")
