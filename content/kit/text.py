"""Free text people write (titles, summaries, names, comments, reasons): one rule for what is
accepted, so a NUL or a title that shows nothing cannot get in through any field."""

from __future__ import annotations

import unicodedata

from content.errors import Invalid

# Characters that render as nothing but are not white space to str.strip(): zero-width space,
# joiners, word joiner, byte-order mark (all category Cf) and a few fillers that draw blank.
_BLANK_FILLERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def _shows_nothing(char: str) -> bool:
    return (
        char.isspace()
        or char in _BLANK_FILLERS
        or unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp")
    )


def is_blank(text: str) -> bool:
    """True when ``text`` would show nothing: empty, white space, zero-width characters."""
    return all(_shows_nothing(c) for c in text)


def clean_text(value: str | None, name: str, limit: int, *, required: bool) -> str:
    """``value`` stripped of surrounding white space, or Invalid naming ``name``: a NUL
    (PostgreSQL cannot store it, and no writer means it), more than ``limit`` characters, or
    text that shows nothing — which is refused when given even where the field is optional,
    since an invisible summary or name is a mistake or a trick, never an intent."""
    text = (value or "").strip()
    if "\x00" in text:
        raise Invalid(f"{name} contains a NUL character; remove it", field=name)
    if text and is_blank(text):
        raise Invalid(f"{name} shows nothing (only invisible characters)", field=name)
    if required and not text:
        raise Invalid(f"{name} must not be empty", field=name)
    if len(text) > limit:
        raise Invalid(f"{name} is {len(text)} characters; at most {limit}", field=name)
    return text
