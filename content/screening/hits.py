"""Finding every key of the screener's automata in one field, and going back from each to the text
as read: the keys found, the terms really there, the rumors whose words stand close together, and
whether refuting words stand near a rumor or a claim."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import ahocorasick

from content.kit import Visible
from content.screening.claims import ClaimKind, find_claims
from content.screening.fold import NOT_HAN_RE, Folded, HanMap, byte_to_char, han_norm
from content.screening.patterns import CompiledPattern
from content.screening.rumors import AFFIRMING_RE, CONTRADICTING_RE, close_together
from content.screening.terms import spread_is_evasion

__all__ = ["FieldHits", "Tables", "automaton"]

# What an automaton key stands for; one key can stand for several things at once.
KINDS: Final = 9
TERM, HOMOPHONE, ALLOW, KEYWORD, CLAIM, SCIENCE, REFUTE, NEGATE, ANCHOR = range(KINDS)

# Distances in characters of the text as read: keywords further apart are unrelated; a refuting
# word must be this close to a rumor or a claim, and a plain negation closer.
RUMOR_WINDOW: Final = 80
_REFUTE_NEAR: Final = 40
_NEGATE_NEAR: Final = 15
# A refuting word denied (「不是谣言」) is found within this many characters around the word.
_AFFIRM_REACH: Final = 12
# A rumor's truth restated: this many of its words within RUMOR_WINDOW of it.
TRUTH_WORDS_NEEDED: Final = 2

_HAN_FORM, _FULL_FORM = 0, 1
_Span = tuple[int, int]


@dataclass(frozen=True)
class Tables:
    """What a screener built: its automata and the rumor library's keyword tables."""

    han: ahocorasick.Automaton | None  # keys of Chinese characters only
    mixed: ahocorasick.Automaton | None  # keys with other characters
    # A mixed key holds a character that is not Chinese; a match of it lies within this many
    # characters of one, which is all of a mostly Chinese text the mixed pass has to read.
    mixed_reach: int
    keyword_groups: list[list[tuple[int, int]]]  # keyword id → (rumor, group)
    rumor_groups: list[list[set[int]]]  # rumor → its groups' keyword ids
    rumor_need: list[int]  # rumor → how many of its groups must be found
    negations: list[str]  # negation cue id → its normalised form
    denials: list[re.Pattern[str] | None]  # rumor → a negation before a word of its claim
    truths: list[re.Pattern[str] | None]  # rumor → the words of its truth
    # Operators' claim patterns; the anchors of pattern k are keys (ANCHOR, k + 1), those of the
    # built-in claims (ANCHOR, 0), of health claim k (ANCHOR, -1 - k).
    patterns: Sequence[CompiledPattern] = ()


def automaton(keys: Mapping[str, list[tuple[int, int]]]) -> ahocorasick.Automaton | None:
    """An automaton over UTF-8 bytes (viewed as Latin-1 characters): pyahocorasick looks up a
    node's children linearly, and with thousands of distinct first characters a pass over Chinese
    as code points runs at about 3 MB/s, over its bytes at about 40 MB/s. UTF-8 being
    self-synchronising, a match of whole keys always starts and ends on character boundaries."""
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key, entries in keys.items():
        raw = key.encode("utf-8")
        automaton.add_word(raw.decode("latin-1"), (len(raw), tuple(entries)))
    automaton.make_automaton()
    return automaton


def _hits(automaton: ahocorasick.Automaton | None, norm: str) -> list[tuple[int, int, int, int]]:
    """(start, end, kind, index) of every key in `norm`, in character offsets."""
    if automaton is None or not norm:
        return []
    raw = norm.encode("utf-8")
    found = [
        (last + 1 - length, last + 1, kind, index)
        for last, (length, entries) in automaton.iter(raw.decode("latin-1"))
        for kind, index in entries
    ]
    if not found or len(raw) == len(norm):
        return found
    if len(raw) == 3 * len(norm):  # Chinese characters only, all three bytes long
        return [(s // 3, e // 3, kind, index) for s, e, kind, index in found]
    to_char = byte_to_char(raw, [b for s, e, _, _ in found for b in (s, e)])
    return [(to_char[s], to_char[e], kind, index) for s, e, kind, index in found]


def _windows(positions: list[int], reach: int) -> list[_Span]:
    """Stretches within `reach` characters of each position, merged where they meet."""
    windows: list[_Span] = []
    for at in sorted(positions):
        lo, hi = max(0, at - reach), at + 2 * reach
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return windows


class FieldHits:
    """Every key found in one field, and the way from each back to the text as read.

    The main pass reads the Chinese characters only; the mixed pass reads only the stretches of
    the full normalised text around characters that are not Chinese. Positions in the Chinese
    projection are mapped back only when something found there is reported.
    """

    def __init__(self, tables: Tables, visible: Visible, folded: Folded) -> None:
        self._tables = tables
        self._visible = visible
        self._folded = folded
        self._han_text = han_norm(folded.norm)
        self._han_map: HanMap | None = None
        self._anchors: list[tuple[int, int, int]] = []
        self._cues: list[int] | None = None
        self._negation_at: list[tuple[int, int]] = []
        self.science = False
        self._terms: list[tuple[int, int, int, int, bool]] = []  # form, start, end, term, homophone
        self._allowed: list[tuple[int, int, int]] = []
        self._claims: dict[int, tuple[int, int, int]] = {}
        self._keywords: dict[int, list[tuple[int, int, int]]] = {}
        self.refutes: list[tuple[int, int]] = []
        self._negations: list[tuple[int, int, int]] = []
        # Hits sorted by kind as they come: (form, start, end, index) per kind.
        hits: list[list[tuple[int, int, int, int]]] = [[] for _ in range(KINDS)]
        for s, e, kind, index in _hits(tables.han, self._han_text):
            hits[kind].append((_HAN_FORM, s, e, index))
        if tables.mixed is not None:
            for lo, hi in self._mixed_windows():
                for s, e, kind, index in _hits(tables.mixed, folded.norm[lo:hi]):
                    hits[kind].append((_FULL_FORM, s + lo, e + lo, index))
        self._terms = [(f, s, e, i, False) for f, s, e, i in hits[TERM]]
        self._terms += [(f, s, e, i, True) for f, s, e, i in hits[HOMOPHONE]]
        self._allowed = [(f, s, e) for f, s, e, _ in hits[ALLOW]]
        for f, s, e, i in hits[KEYWORD]:
            self._keywords.setdefault(i, []).append((f, s, e))
        for f, s, e, i in hits[CLAIM]:
            self._claims.setdefault(i, (f, s, e))
        self.science = bool(hits[SCIENCE])
        self.refutes = [(f, s) for f, s, _, _ in hits[REFUTE]]
        self._negations = [(f, s, i) for f, s, _, i in hits[NEGATE]]
        self._anchors = [(f, s, i) for f, s, _, i in hits[ANCHOR]]

    def _mixed_windows(self) -> list[_Span]:
        reach = self._tables.mixed_reach
        windows: list[_Span] = []
        for run in NOT_HAN_RE.finditer(self._folded.norm):
            lo, hi = max(0, run.start() - reach), run.end() + reach
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], hi)
            else:
                windows.append((lo, hi))
        return windows

    def _to_norm(self, form: int, pos: int) -> int:
        if form == _FULL_FORM:
            return pos
        if self._han_map is None:
            self._han_map = HanMap(self._folded.norm)
        return self._han_map(pos)

    def _to_visible(self, form: int, pos: int) -> int:
        return self._folded.to_source(self._to_norm(form, pos))

    @property
    def norm(self) -> str:
        """The field, normalised."""
        return self._folded.norm

    def visible_span(self, start: int, end: int) -> _Span:
        """The span in the text as read of the normalised characters [start, end)."""
        return self._folded.to_source(start), self._folded.to_source(end - 1) + 1

    def claims(self) -> list[tuple[_Span, ClaimKind]]:
        """(span in normalised text, kind) of each absolute claim."""
        anchors = [self._to_norm(form, at) for form, at, i in self._anchors if i == 0]
        health: dict[int, list[int]] = {}
        for form, at, i in self._anchors:
            if i < 0:
                health.setdefault(-1 - i, []).append(self._to_norm(form, at))
        found = find_claims(self._folded.norm, anchors, health)
        return [((s, e), kind) for s, e, kind in found]

    def patterns(self) -> list[tuple[_Span, int]]:
        """(span in normalised text, pattern) of each match of an operator's claim pattern,
        searched for only around the words every match of it holds."""
        by_pattern: dict[int, list[int]] = {}
        for form, at, i in self._anchors:
            if i > 0:
                by_pattern.setdefault(i - 1, []).append(self._to_norm(form, at))
        found: list[tuple[_Span, int]] = []
        norm = self._folded.norm
        for index, positions in by_pattern.items():
            pattern = self._tables.patterns[index]
            seen: set[_Span] = set()
            for lo, hi in _windows(positions, pattern.reach):
                for span in pattern.find(norm, lo, hi):
                    if span not in seen:
                        seen.add(span)
                        found.append((span, index))
        return found

    def terms(self) -> list[tuple[list[int], int, bool]]:
        """(positions in the text as read, term, homophone) of each term really there."""
        found = []
        for form, s, e, index, homophone in self._terms:
            if any(f == form and a <= s and e <= b and self._written(f, a, b)
                   for f, a, b in self._allowed):  # fmt: skip
                continue
            positions = [self._to_visible(form, i) for i in range(s, e)]
            if spread_is_evasion(self._visible.text, positions):
                found.append((positions, index, homophone))
        return found

    def _written(self, form: int, start: int, end: int) -> bool:
        """Whether the characters [start, end) stand side by side in the text as read: an
        innocent phrase is written as one word (「看 `台独`」 is not 看台)."""
        positions = [self._to_visible(form, i) for i in range(start, end)]
        return all(b == a + 1 for a, b in pairwise(positions))

    def rumors(self) -> dict[int, _Span]:
        """Each rumor found, and where in normalised text: its claim, else its keywords close
        together."""
        tables = self._tables
        found = {rumor: self._norm_span(*at) for rumor, at in self._claims.items()}
        present = self._keywords.keys()
        candidates = {r for kw in present for r, _ in tables.keyword_groups[kw]}
        for rumor in candidates - found.keys():
            groups: dict[int, list[tuple[int, int, int]]] = {}
            for group, ids in enumerate(tables.rumor_groups[rumor]):
                for kw in ids & present:
                    groups.setdefault(group, []).extend(self._keywords[kw])
            need = tables.rumor_need[rumor]
            if len(groups) < need:
                continue
            if all(form == _HAN_FORM for spans in groups.values() for form, _, _ in spans):
                # The common case, Chinese keywords only: measured in the Chinese projection,
                # and only the span found is mapped back.
                han = {g: [(s, e) for _, s, e in spans] for g, spans in groups.items()}
                span = close_together(han, need, RUMOR_WINDOW)
                if span is not None:
                    found[rumor] = self._norm_span(_HAN_FORM, *span)
                continue
            norm = {g: [self._norm_span(*at) for at in spans] for g, spans in groups.items()}
            span = close_together(norm, need, RUMOR_WINDOW)
            if span is not None:
                found[rumor] = span
        return found

    def _norm_span(self, form: int, s: int, e: int) -> _Span:
        return self._to_norm(form, s), self._to_norm(form, e - 1) + 1

    def refuted(self, span: _Span, own: str = "") -> bool:
        """Whether refuting words stand near `span` (normalised text); negations that are part
        of the rumor's own claim (`own`) do not count, nor do words of a denied refutation
        (「这绝对不是谣言」)."""
        if self._cues is None:
            self._cues = sorted(self._to_norm(form, at) for form, at in self.refutes)
            self._negation_at = sorted((self._to_norm(f, at), i) for f, at, i in self._negations)
        start, end = span
        k = bisect_left(self._cues, start - _REFUTE_NEAR)
        while k < len(self._cues) and self._cues[k] <= end + _REFUTE_NEAR:
            if not self._affirmed(self._cues[k]):
                return True
            k += 1
        negations = self._tables.negations
        k = bisect_left(self._negation_at, (start - _NEGATE_NEAR, -1))
        for at, index in self._negation_at[k:]:
            if at > end + _NEGATE_NEAR:
                break
            if negations[index] not in own and not self._affirmed(at):
                return True
        return False

    def _affirmed(self, at: int) -> bool:
        """Whether the refuting word at `at` is part of a denied refutation."""
        norm = self._folded.norm
        for match in AFFIRMING_RE.finditer(norm, max(0, at - _AFFIRM_REACH), at + _AFFIRM_REACH):
            if match.start() <= at < match.end():
                return True
        return False

    def contradicted(self, span: _Span, rumor: int) -> bool:
        """Whether the text near rumor `rumor`, found at `span`, says the opposite in plain words:
        no link, safe, too little to matter; its claim with a negation before one of its words
        (大蒜不能预防新冠); or its own truth restated (two of the truth's words close by)."""
        norm = self._folded.norm
        start, end = span
        lo, hi = max(0, start - _REFUTE_NEAR), end + _REFUTE_NEAR
        for match in CONTRADICTING_RE.finditer(norm, lo, hi):
            if not self._affirmed(match.start()):
                return True
        denial = self._tables.denials[rumor]
        if denial is not None and denial.search(norm, max(0, start - _NEGATE_NEAR), end + 1):
            return True
        # Looked for only here, around a rumor found: a truth's words (植物, 细菌 …) are everyday
        # words, and finding them all over every text would cost more than all the checks.
        truth = self._tables.truths[rumor]
        if truth is None:
            return False
        lo, hi = max(0, start - RUMOR_WINDOW), end + RUMOR_WINDOW
        return len({m.group() for m in truth.finditer(norm, lo, hi)}) >= TRUTH_WORDS_NEEDED
