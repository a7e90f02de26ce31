"""Free text people write (titles, summaries, names, comments, reasons): one rule for what is
accepted, so a NUL or a title that shows nothing cannot get in through any field."""

from __future__ import annotations

import unicodedata
from typing import Final

import regex

from content.errors import Invalid

# Every Default_Ignorable code point (Unicode's own property: zero-width characters, joiners, the
# bidirectional controls U+202A–U+202E and U+2066–U+2069, variation selectors, soft hyphens, tag
# characters …): nothing a reader sees, everything an evader needs to reverse a term on screen or
# pad it out. Removed from every text people write before it is stored, and by screening before
# it matches (an emoji sequence joined by U+200D shows as its parts; a price we accept).
IGNORABLE_RE: Final = regex.compile(r"\p{Default_Ignorable_Code_Point}+")

# Letters and symbols that draw blank: the Hangul fillers and the blank Braille pattern.
_BLANK_FILLERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
# What shows on its own: letters, digits, symbols, punctuation. Not white space, not format or
# control characters (zero-width space, joiners, BOM), and not marks: a combining accent needs
# a character to sit on, and a title of marks alone draws as stray dots or nothing at all.
_SHOWN_CATEGORIES = frozenset("LNSP")


def _shows_something(char: str) -> bool:
    return unicodedata.category(char)[0] in _SHOWN_CATEGORIES and char not in _BLANK_FILLERS


def remove_ignorables(text: str) -> str:
    """``text`` without its Default_Ignorable code points."""
    return IGNORABLE_RE.sub("", text)


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing a reader can see: empty, white space, zero-width
    characters, fillers, or combining marks with nothing visible to sit on."""
    return not any(_shows_something(c) for c in text)


def clean_text(value: str | None, name: str, limit: int, *, required: bool) -> str:
    """``value`` stripped of surrounding white space and of invisible code points (bidirectional
    controls, zero-width and every other Default_Ignorable one), or Invalid naming ``name``: a NUL
    (PostgreSQL cannot store it, and no writer means it), more than ``limit`` characters, or
    text that shows nothing — which is refused when given even where the field is optional,
    since an invisible summary or name is a mistake or a trick, never an intent."""
    given = (value or "").strip()
    if "\x00" in given:
        raise Invalid(f"{name} contains a NUL character; remove it", field=name)
    text = remove_ignorables(given).strip()
    if given and is_blank(text):
        raise Invalid(
            f"{name} shows nothing (no letter, digit, symbol or punctuation; only invisible "
            "characters or combining marks)",
            field=name,
        )
    if required and not text:
        raise Invalid(f"{name} must not be empty", field=name)
    if len(text) > limit:
        raise Invalid(f"{name} is {len(text)} characters; at most {limit}", field=name)
    return text
