"""Operators' claim patterns: a small pattern language, checked when a pattern is entered and
compiled into a regular expression that cannot backtrack catastrophically (docs/screening.md).

- words, folded like the text (case, width, traditional → simplified; punctuation and spaces
  ignored);
- `[a|b|c]` one of the words; an empty alternative makes it optional: `停[用|服|]药`;
- `…` or `...` a gap of up to eight characters: `不用…吃药`;
- `#` a number, in digits or in Chinese numerals: `治愈率…#`.

No nesting, no other repetition: each gap is bounded, so a pattern with g gaps tries at most 9^g
ways at each position; `regex`'s timeout is only a second line of defence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import pairwise, product
from typing import Final

import regex

from content.errors import Invalid
from content.models import Severity
from content.screening.fold import normalize

__all__ = ["ClaimSpec", "CompiledPattern", "compile_pattern", "pattern_key"]

log = logging.getLogger(__name__)

PATTERN_MAX: Final = 100
GAPS_MAX: Final = 3
GROUPS_MAX: Final = 10
ALTERNATIVES_MAX: Final = 20
GAP: Final = 8  # characters a gap spans, at most
NUMBER_MAX: Final = 6  # characters of a number
_EXPANSIONS_MAX: Final = 64  # spellings of the words an anchor is found by
ANCHOR_MIN: Final = 2  # characters of the shortest of them
TIMEOUT_S: Final = 0.05  # per window searched

_NUMERALS: Final = "零〇一二两三四五六七八九十百千万"
_NUMBER_RE: Final = f"(?:\\d{{1,{NUMBER_MAX}}}|[{_NUMERALS}]{{1,{NUMBER_MAX}}})"
_GAP_RE: Final = f"(?s:.){{0,{GAP}}}?"


@dataclass(frozen=True, slots=True)
class ClaimSpec:
    """A claim pattern as stored: its family (a label, or one of the families read in context),
    the pattern, the severity of a finding and the message the creator reads."""

    family: str
    pattern: str
    severity: Severity
    message: str
    ref: str | None = None


@dataclass(frozen=True)
class CompiledPattern:
    spec: ClaimSpec
    regex: regex.Pattern[str]
    anchors: tuple[str, ...]  # every match holds one of these (normalised) words
    reach: int  # the longest match, in normalised characters
    key: str = field(default="")

    def find(self, norm: str, lo: int, hi: int) -> list[tuple[int, int]]:
        """Spans of the matches in norm[lo:hi]; none if the search runs out of time."""
        try:
            return [m.span() for m in self.regex.finditer(norm, lo, hi, timeout=TIMEOUT_S)]
        except TimeoutError:
            log.warning("claim pattern %r timed out; skipped", self.spec.pattern)
            return []


def _bad_pattern(message: str, code: str) -> Invalid:
    return Invalid(message, field="pattern", code=code)


# An element: ("words", alternatives) — one word is a list of one —, ("gap",) or ("number",).
_Element = tuple[str, tuple[str, ...]]


def _parse(pattern: str) -> list[_Element]:
    text = pattern.replace("...", "…")
    elements: list[_Element] = []
    i = 0
    word: list[str] = []

    def flush() -> None:
        if word:
            folded = normalize("".join(word))
            if folded:
                elements.append(("words", (folded,)))
            word.clear()

    while i < len(text):
        ch = text[i]
        if ch == "[":
            flush()
            close = text.find("]", i + 1)
            if close < 0:
                raise _bad_pattern("a [ is never closed by ]", "claim.pattern_syntax")
            inner = text[i + 1 : close]
            if "[" in inner:
                raise _bad_pattern("brackets do not nest", "claim.pattern_syntax")
            if any(c in inner for c in "…#"):
                raise _bad_pattern("inside [ ] only words and |", "claim.pattern_syntax")
            alternatives = tuple(normalize(a) for a in inner.split("|"))
            if len(alternatives) > ALTERNATIVES_MAX:
                raise _bad_pattern(
                    f"at most {ALTERNATIVES_MAX} alternatives in [ ]", "claim.pattern_too_complex"
                )
            if not any(alternatives):
                raise _bad_pattern("[ ] holds no word", "claim.pattern_syntax")
            elements.append(("words", tuple(dict.fromkeys(alternatives))))
            i = close + 1
            continue
        if ch in "]|":
            raise _bad_pattern(f"{ch} outside [ ]", "claim.pattern_syntax")
        if ch in "…#":
            flush()
            elements.append(("gap" if ch == "…" else "number", ()))
        else:
            word.append(ch)
        i += 1
    flush()
    return elements


def _check_shape(elements: list[_Element]) -> None:
    if not elements:
        raise _bad_pattern("the pattern has no words", "claim.pattern_too_broad")
    kinds = [kind for kind, _ in elements]
    if kinds[0] == "gap" or kinds[-1] == "gap":
        raise _bad_pattern("a pattern neither starts nor ends with a gap", "claim.pattern_syntax")
    if any(a == b == "gap" for a, b in pairwise(kinds)):
        raise _bad_pattern("two gaps in a row", "claim.pattern_syntax")
    if kinds.count("gap") > GAPS_MAX:
        raise _bad_pattern(f"at most {GAPS_MAX} gaps", "claim.pattern_too_complex")
    groups = sum(1 for kind, alts in elements if kind == "words" and len(alts) > 1)
    if groups > GROUPS_MAX:
        raise _bad_pattern(f"at most {GROUPS_MAX} [ ] groups", "claim.pattern_too_complex")


def _anchors(elements: list[_Element]) -> tuple[str, ...]:
    """The spellings of the run of words (between gaps and numbers) whose shortest spelling is
    the longest: every match holds one of them."""
    best: tuple[str, ...] = ()
    best_len = 0
    run: list[tuple[str, ...]] = []
    for kind, alternatives in [*elements, ("gap", ())]:
        if kind == "words":
            run.append(alternatives)
            continue
        sizes = 1
        for alts in run:
            sizes *= len(alts)
        if run and sizes <= _EXPANSIONS_MAX:
            spellings = tuple(dict.fromkeys("".join(p) for p in product(*run)))
            shortest = min(map(len, spellings))
            if shortest > best_len:
                best, best_len = spellings, shortest
        run = []
    if best_len < ANCHOR_MIN:
        raise _bad_pattern(
            f"the pattern needs a run of words of at least {ANCHOR_MIN} characters, without "
            "gaps or numbers, that every match holds; shorter ones would flag most texts",
            "claim.pattern_too_broad",
        )
    return best


def pattern_key(elements: list[_Element]) -> str:
    parts = []
    for kind, alternatives in elements:
        parts.append("|".join(sorted(alternatives)) if kind == "words" else kind)
    return " ".join(f"[{p}]" for p in parts)


def compile_pattern(spec: ClaimSpec) -> CompiledPattern:
    """The compiled pattern; raises `Invalid` (field `pattern`) with a stable code."""
    if len(spec.pattern) > PATTERN_MAX:
        raise _bad_pattern(
            f"pattern: at most {PATTERN_MAX} characters", "claim.pattern_too_complex"
        )
    elements = _parse(spec.pattern)
    _check_shape(elements)
    anchors = _anchors(elements)
    source: list[str] = []
    reach = 0
    for kind, alternatives in elements:
        if kind == "gap":
            source.append(_GAP_RE)
            reach += GAP
        elif kind == "number":
            source.append(_NUMBER_RE)
            reach += NUMBER_MAX
        else:
            words = sorted(alternatives, key=len, reverse=True)
            source.append("(?:" + "|".join(regex.escape(w) for w in words) + ")")
            reach += len(words[0])
    compiled = regex.compile("".join(source), regex.V0)
    return CompiledPattern(spec, compiled, anchors, reach, pattern_key(elements))
