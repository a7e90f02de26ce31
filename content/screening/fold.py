"""Normalisation for matching, and the way back: the folded forms text is matched in (case,
width, accents, traditional and variant characters → simplified, separators dropped), and maps
from a position in a folded form to a position in the text it came from."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cache
from importlib.metadata import distribution
from itertools import accumulate, product
from math import prod
from operator import sub
from pathlib import Path
from typing import Any, Final

import msgpack
import opencc
from pypinyin import Style, lazy_pinyin

__all__ = [
    "BOUNDARY",
    "HAN_RE",
    "NOT_HAN_RE",
    "PARAGRAPH_RE",
    "Folded",
    "HanMap",
    "OffsetMap",
    "fold",
    "han_norm",
    "homophone_spellings",
    "normalize",
    "pinyin_keys",
]

# Text is folded one character at a time (NFKC, traditional → simplified, case folding, dropping
# separators) through `str.translate` tables. Folding per character, not per phrase, keeps a term
# and the same term inside a sentence folding identically (OpenCC's phrase tables can convert a
# character differently depending on its neighbours), and it lets us map positions back: every
# original character becomes exactly one character of a "marked" string of the same length, where
# a character that folds to nothing is `DROP` and one that folds to several is `EXPAND`.

DROP: Final = "\ufdd0"
EXPAND: Final = "\ufdd1"
_MARK_RUN_RE: Final = re.compile("[\ufdd0\ufdd1]+")
_EXPAND_RE: Final = re.compile("\ufdd1")

# Unicode general categories ignored when matching: separators (Z), punctuation (P), symbols (S),
# controls/format/unassigned/private use (C, which holds the zero-width characters) and combining
# marks (M) — everything an evader can slip between the characters of a term.
_IGNORED_CATEGORIES: Final = frozenset("ZPSCM")

# What ends a clause or a quotation in prose. Two real words on either side of one of these are
# not glued into a term (「全能，神一般的运动员」) unless the term is spread out evenly, one mark
# between every two of its characters, which is what an evader does and prose never does. Line
# breaks are not among them (a paragraph wrapped mid-word reads as one word), nor are ellipses or
# an empty pair of brackets: prose does not put them inside a word.
BOUNDARY: Final = frozenset("，。；：！？、,;:!?「」『』“”‘’《》〈〉（）()[]{}【】〔〕\"'")
# The end of a paragraph (a blank line, or a block of the rendered body: kit's PARAGRAPH).
PARAGRAPH_RE: Final = re.compile("\u2029|\n[^\\S\n]*\n")

_EXPANSIONS: dict[str, str] = {}  # code points that fold to several characters ("㍿" → "株式会社")


@cache
def _opencc(config: str) -> Any:
    return opencc.OpenCC(config)


@cache
def _common() -> frozenset[str]:
    """The 6 763 characters of GB 2312, the ones any Chinese keyboard offers first."""
    chars = []
    for first in range(0xB0, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                chars.append(bytes((first, second)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


@cache
def _variants() -> dict[str, str]:
    """Variant characters and the standard simplified character each stands for (灋 → 法, 糼 →
    功), from char-converter's table (the MOE dictionary of variants and the 通用规范汉字表).

    A character in everyday use is never folded into another, even where the table lists it as
    a variant of one (机 of 几, 园 of 圆): both are words of their own, and folding them together
    would make innocent text match. Only the rare forms an evader reaches for fold.
    """
    path = distribution("char-converter").locate_file("char_converter/data/v2s.msgpack")
    table: dict[str, list[str]] = msgpack.unpackb(Path(str(path)).read_bytes())
    common = _common()
    return {
        variant: standard[0]
        for variant, standard in table.items()
        if len(variant) == 1 and variant not in common and standard and standard[0] != variant
    }


def _simplified(letters: str) -> str:
    """Traditional (OpenCC's t2s), variant (char-converter's table) and Japanese forms (OpenCC's
    jp2t, then t2s) of Chinese characters, folded to the simplified standard one by one."""
    folded: str = _opencc("t2s").convert(letters)
    if folded != letters or len(letters) != 1 or letters in _common():
        return folded
    variant = _variants().get(letters)
    if variant is not None:
        return str(_opencc("t2s").convert(variant))
    return str(_opencc("t2s").convert(_opencc("jp2t").convert(letters)))


def _kept(chars: str) -> str:
    return "".join(c for c in chars if unicodedata.category(c)[0] not in _IGNORED_CATEGORIES)


def _fold_char(ch: str) -> str:
    # Separators are dropped before OpenCC sees them: it takes UTF-8 and a lone surrogate would
    # not encode. It only matters for non-ASCII letters anyway.
    letters = _kept(unicodedata.normalize("NFKC", ch))
    if letters and not letters.isascii():
        letters = _simplified(letters)
    folded = unicodedata.normalize("NFKC", letters.casefold())
    if not folded.isascii():
        # Accents go (fǎ lún gōng is falungong, café is cafe): decomposed, marks dropped,
        # composed again so that a Hangul syllable stays one.
        folded = unicodedata.normalize("NFC", _kept(unicodedata.normalize("NFD", folded)))
    return _kept(folded)


# Chinese characters: the unified ideographs and their extensions, and the compatibility ones.
_HAN_CLASS: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_RE: Final = re.compile(f"[{_HAN_CLASS}]+")
NOT_HAN_RE: Final = re.compile(f"[^{_HAN_CLASS}]+")


class _FoldTable(dict[int, str]):
    """`str.translate` table filled on the first sight of each code point.

    Lazy because folding all 1.1 million code points up front would cost about a second at import;
    a real corpus uses a few thousand.
    """

    def __missing__(self, code_point: int) -> str:
        ch = chr(code_point)
        folded = _fold_char(ch)
        if len(folded) == 1:
            mark = folded
        elif not folded:
            mark = DROP
        else:
            _EXPANSIONS[ch] = folded  # before the table entry, so a reader never misses it
            mark = EXPAND
        self[code_point] = mark
        return mark


_TABLE: Final = _FoldTable()


class Folded:
    """A text in one folded form: `norm` is what is matched; `marked` has one character per
    character of the source text (`DROP` for a character that folded to nothing)."""

    __slots__ = ("_expansions", "_map", "marked", "norm", "text")

    def __init__(self, text: str, marked: str, expansions: dict[str, str]) -> None:
        self.text = text
        self.marked = marked
        self._expansions = expansions
        norm = marked
        if EXPAND in marked:
            # Positions in `marked` are positions in `text`, which tells us what to expand.
            norm = _EXPAND_RE.sub(lambda m: expansions[text[m.start()]], norm)
        if DROP in marked:
            norm = norm.replace(DROP, "")
        self.norm = norm
        self._map: Callable[[int], int] | None = None

    def to_source(self, norm_pos: int) -> int:
        """The position in `text` of the character at `norm_pos` of `norm`."""
        if self._map is None:
            self._map = (
                _identity
                if self.norm == self.marked
                else OffsetMap(self.text, self.marked, self._expansions)
            )
        return self._map(norm_pos)


def fold(text: str) -> Folded:
    return Folded(text, text.translate(_TABLE), _EXPANSIONS)


def han_norm(norm: str) -> str:
    """The Chinese characters of a normalised text: what Chinese terms are matched in."""
    return NOT_HAN_RE.sub("", norm)


class HanMap:
    """Maps a position in `han_norm(norm)` back to a position in `norm`."""

    __slots__ = ("_han_at", "_norm_at")

    def __init__(self, norm: str) -> None:
        runs = [run.span() for run in HAN_RE.finditer(norm)]
        self._norm_at = [first for first, _ in runs]
        self._han_at = [0, *accumulate(after - first for first, after in runs)][:-1]

    def __call__(self, han_pos: int) -> int:
        k = bisect_right(self._han_at, han_pos) - 1
        return self._norm_at[k] + han_pos - self._han_at[k]


# A term written with homophones is expanded, when the dictionary is built, into every spelling
# with characters of the same toneless syllable from the GB 2312 set (the 6 763 characters any
# Chinese keyboard offers first), so homophones cost nothing per scan. A term with more spellings
# than this is matched in pinyin only.
MAX_HOMOPHONE_SPELLINGS: Final = 20_000


@cache
def _same_syllable() -> dict[str, tuple[str, ...]]:
    by_syllable: dict[str, list[str]] = {}
    for ch in sorted(_common(), key=lambda c: c.encode("gb2312")):
        by_syllable.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
    return {syllable: tuple(chars) for syllable, chars in by_syllable.items()}


def homophone_spellings(key: str) -> list[str]:
    """Every other spelling of a normalised Chinese term with characters that sound the same
    ("法轮功" → "发轮功", "珐仑功" …), or none if there are more than MAX_HOMOPHONE_SPELLINGS."""
    table = _same_syllable()
    choices = [table.get(lazy_pinyin(ch, style=Style.NORMAL)[0], (ch,)) for ch in key]
    choices = [c if ch in c else (ch, *c) for ch, c in zip(key, choices, strict=True)]
    if prod(len(c) for c in choices) > MAX_HOMOPHONE_SPELLINGS:
        return []
    return ["".join(chars) for chars in product(*choices) if "".join(chars) != key]


def normalize(text: str) -> str:
    """The form text and terms are matched in. An admin form should refuse a term whose
    normalised form is empty (it is made of punctuation or symbols only): it can never match."""
    return fold(text).norm


def pinyin_keys(term: str) -> list[str]:
    """A Chinese term spelt in toneless pinyin ("法轮功" → "falungong"), as evaders write it; ü
    written both as the keyboard's v and as u (which is how ü and ǚ fold). Tone marks fold away
    in the text, so "fǎ lún gōng" reads as "falungong" too."""
    spelt = "".join(lazy_pinyin(normalize(term), style=Style.NORMAL))
    return [spelt, spelt.replace("v", "u")] if "v" in spelt else [spelt]


def _identity(pos: int) -> int:
    return pos


class OffsetMap:
    """Maps a position in the normalised text back to a position in the original text.

    Stored as breakpoints: from normalised position `norm_at[k]`, original positions advance by
    `step[k]` (1 for plain characters, 0 inside the expansion of a single original character).
    """

    __slots__ = ("_norm_at", "_orig_at", "_step")
    _norm_at: list[int]
    _orig_at: list[int]
    _step: list[int]

    def __init__(self, text: str, marked: str, expansions: dict[str, str]) -> None:
        if EXPAND not in marked:
            # The common case, dropped characters only: built with C-level helpers, because a
            # Python loop over every run of punctuation is a third of the time of a whole scan.
            runs = [run.span() for run in _MARK_RUN_RE.finditer(marked)]
            firsts = [first for first, _ in runs]
            afters = [after for _, after in runs]
            shifts = accumulate(map(sub, afters, firsts))
            self._norm_at = [0, *map(sub, afters, shifts)]
            self._orig_at = [0, *afters]
            self._step = [1] * len(self._orig_at)
            return
        norm_at, orig_at, step = [0], [0], [1]
        shift = 0  # original position minus normalised position
        for run in _MARK_RUN_RE.finditer(marked):
            first, after = run.span()
            for i in range(first, after):
                if marked[i] == EXPAND:
                    norm_at.append(i - shift)
                    orig_at.append(i)
                    step.append(0)
                    shift -= len(expansions[text[i]]) - 1
                else:
                    shift += 1
            norm_at.append(after - shift)
            orig_at.append(after)
            step.append(1)
        self._norm_at = norm_at
        self._orig_at = orig_at
        self._step = step

    def __call__(self, norm_pos: int) -> int:
        # bisect_right: when several breakpoints share a position (a run of dropped characters at
        # the start), the last one is the one that holds from there on.
        k = bisect_right(self._norm_at, norm_pos) - 1
        return self._orig_at[k] + (norm_pos - self._norm_at[k]) * self._step[k]


def byte_to_char(raw: bytes, offsets: list[int]) -> dict[int, int]:
    """Character positions of UTF-8 byte offsets (all on character boundaries) in `raw`."""
    result: dict[int, int] = {}
    prev_byte = prev_char = 0
    for offset in sorted(set(offsets)):
        prev_char += len(raw[prev_byte:offset].decode("utf-8"))
        prev_byte = offset
        result[offset] = prev_char
    return result
