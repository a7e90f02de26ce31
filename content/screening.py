"""Machine review of text (screening): sensitive terms, exaggerated health claims, known rumors and
science claims without references, reported as findings whose offsets point into the original text.

Pure Python, no I/O: the caller loads the dictionary and the rumor library and builds a `Screener`
once; a built `Screener` is immutable and can be shared between threads.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from operator import sub
from typing import Any, Final

import ahocorasick
import opencc

__all__ = [
    "DEFAULT_ALLOW",
    "DEFAULT_TERMS",
    "HEALTH_CLAIMS",
    "SCIENCE_MARKERS",
    "SEVERITIES",
    "Finding",
    "RumorSpec",
    "Screener",
    "TermSpec",
    "blocking",
    "normalize",
]

SEVERITIES: Final = ("block", "warn", "info")
_SEVERITY_RANK: Final = {"info": 0, "warn": 1, "block": 2}


# --- normalisation -------------------------------------------------------------------------------
#
# Text is folded one character at a time (NFKC, traditional → simplified, case folding, dropping
# separators) through a `str.translate` table. Folding per character, not per phrase, keeps a term
# and the same term inside a sentence folding identically (OpenCC's phrase tables can convert a
# character differently depending on its neighbours), and it lets us map positions back: every
# original character becomes exactly one character of a "marked" string of the same length, where
# a character that folds to nothing is `_DROP` and one that folds to several is `_EXPAND`.

_DROP: Final = "\ufdd0"
_EXPAND: Final = "\ufdd1"
_MARK_RUN_RE: Final = re.compile("[\ufdd0\ufdd1]+")
_EXPAND_RE: Final = re.compile("\ufdd1")

# Unicode general categories ignored when matching: separators (Z), punctuation (P), symbols (S),
# controls/format/unassigned/private use (C, which holds the zero-width characters) and combining
# marks (M) — everything an evader can slip between the characters of a term.
_IGNORED_CATEGORIES: Final = frozenset("ZPSCM")

# Code points that fold to more than one character ("㍿" → "株式会社"), filled with the table.
_EXPANSIONS: dict[str, str] = {}


@cache
def _t2s() -> Any:
    return opencc.OpenCC("t2s")


def _kept(chars: str) -> str:
    return "".join(c for c in chars if unicodedata.category(c)[0] not in _IGNORED_CATEGORIES)


def _fold_char(ch: str) -> str:
    # Separators are dropped before OpenCC sees them: it takes UTF-8 and a lone surrogate would
    # not encode. It only matters for non-ASCII letters anyway.
    letters = _kept(unicodedata.normalize("NFKC", ch))
    if letters and not letters.isascii():
        letters = _t2s().convert(letters)
    return _kept(unicodedata.normalize("NFKC", letters.casefold()))


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
            mark = _DROP
        else:
            _EXPANSIONS[ch] = folded  # before the table entry, so a reader never misses it
            mark = _EXPAND
        self[code_point] = mark
        return mark


_TABLE: Final = _FoldTable()


def _fold(text: str) -> tuple[str, str]:
    """Return (marked, normalised): `marked` has one character per original character."""
    marked = text.translate(_TABLE)
    norm = marked
    if _EXPAND in marked:
        # Positions in `marked` are positions in `text`, which tells us what to expand.
        norm = _EXPAND_RE.sub(lambda m: _EXPANSIONS[text[m.start()]], norm)
    if _DROP in marked:
        norm = norm.replace(_DROP, "")
    return marked, norm


def normalize(text: str) -> str:
    """The form text and terms are matched in. An admin form should refuse a term whose
    normalised form is empty (it is made of punctuation or symbols only): it can never match."""
    return _fold(text)[1]


class _OffsetMap:
    """Maps a position in the normalised text back to a position in the original text.

    Stored as breakpoints: from normalised position `norm_at[k]`, original positions advance by
    `step[k]` (1 for plain characters, 0 inside the expansion of a single original character).
    """

    __slots__ = ("_norm_at", "_orig_at", "_step")
    _norm_at: list[int]
    _orig_at: list[int]
    _step: list[int]

    def __init__(self, text: str, marked: str) -> None:
        if _EXPAND not in marked:
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
                if marked[i] == _EXPAND:
                    norm_at.append(i - shift)
                    orig_at.append(i)
                    step.append(0)
                    shift -= len(_EXPANSIONS[text[i]]) - 1
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


def _identity(pos: int) -> int:
    return pos


def _byte_to_char(raw: bytes, offsets: Iterable[int]) -> dict[int, int]:
    """Character positions of UTF-8 byte offsets (all on character boundaries) in `raw`."""
    result: dict[int, int] = {}
    prev_byte = prev_char = 0
    for offset in sorted(set(offsets)):
        prev_char += len(raw[prev_byte:offset].decode("utf-8"))
        prev_byte = offset
        result[offset] = prev_char
    return result


# --- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermSpec:
    """A dictionary entry. `severity` is one of SEVERITIES (a `StrEnum` member is accepted)."""

    term: str
    category: str
    severity: str

    def __post_init__(self) -> None:
        if not self.term.strip():
            raise ValueError("a screening term must not be empty")
        if self.severity not in _SEVERITY_RANK:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}: {self.severity!r}")
        object.__setattr__(self, "severity", str(self.severity))


@dataclass(frozen=True, slots=True)
class RumorSpec:
    """A known rumor: it matches a field that contains its claim or all of its keywords."""

    claim: str
    keywords: Sequence[str]
    truth: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "keywords", tuple(self.keywords))


@dataclass(frozen=True, slots=True)
class Finding:
    """One machine finding; `start`/`end` are character offsets into the original field text."""

    check: str  # "dictionary" | "health_claim" | "rumor" | "references"
    severity: str
    field: str
    start: int
    end: int
    excerpt: str
    message: str
    category: str | None = None

    def as_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {
            "check": self.check,
            "severity": self.severity,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "message": self.message,
        }
        if self.category is not None:
            out["category"] = self.category
        return out


def blocking(findings: Iterable[Finding | Mapping[str, Any]]) -> bool:
    """Whether any finding blocks publication. Takes findings or their stored dict form."""
    return any(
        (f.severity if isinstance(f, Finding) else f.get("severity")) == "block" for f in findings
    )


# Absolute or exaggerated health claims: a hint for the science reviewer, never a block, because a
# debunking article quotes exactly these words.
HEALTH_CLAIMS: Final[tuple[str, ...]] = (
    "根治",
    "100%有效",
    "100%治愈",
    "百分百有效",
    "百分之百",
    "包治百病",
    "永不复发",
    "无副作用",
    "零副作用",
    "没有任何副作用",
    "神药",
    "神效",
    "立竿见影",
    "彻底治愈",
    "药到病除",
    "一次治愈",
    "绝对安全",
    "绝对有效",
    "无效退款",
    "万能药",
    "返老还童",
)

# Words that state a scientific finding; with a percentage, they call for references.
SCIENCE_MARKERS: Final[tuple[str, ...]] = (
    "研究表明",
    "研究发现",
    "研究显示",
    "研究证实",
    "实验证明",
    "实验表明",
    "试验表明",
    "数据显示",
    "数据表明",
    "据统计",
    "统计显示",
    "调查显示",
    "科学家",
    "临床试验",
    "百分之",
)
_PERCENT_RE: Final = re.compile(r"\d\s*[%％‰]")

DEFAULT_TERMS: Final[list[TermSpec]] = [
    # Political: separatism and banned cults block at once.
    TermSpec("法轮功", "political", "block"),
    TermSpec("法轮大法", "political", "block"),
    TermSpec("Falun Gong", "political", "block"),
    TermSpec("全能神", "political", "block"),
    TermSpec("台独", "political", "block"),
    TermSpec("藏独", "political", "block"),
    TermSpec("疆独", "political", "block"),
    TermSpec("港独", "political", "block"),
    # "邪教" alone only warns: anti-cult science articles (反邪教科普) use the word all the time.
    TermSpec("邪教", "political", "warn"),
    # Illegal trade.
    TermSpec("赌博网站", "illegal", "block"),
    TermSpec("网络赌场", "illegal", "block"),
    TermSpec("冰毒购买", "illegal", "block"),
    TermSpec("购买冰毒", "illegal", "block"),
    TermSpec("出售冰毒", "illegal", "block"),
    TermSpec("海洛因出售", "illegal", "block"),
    TermSpec("出售枪支", "illegal", "block"),
    TermSpec("办理假证", "illegal", "block"),
    TermSpec("代开发票", "illegal", "warn"),
    # Fraud and medical advertising.
    TermSpec("祖传秘方", "fraud", "warn"),
    TermSpec("稳赚不赔", "fraud", "warn"),
    TermSpec("高额回报", "fraud", "warn"),
    TermSpec("量子保健", "fraud", "warn"),
    TermSpec("量子养生", "fraud", "warn"),
    TermSpec("特效药", "medical_ad", "warn"),
    TermSpec("排毒养颜", "medical_ad", "warn"),
    TermSpec("抗癌保健品", "medical_ad", "warn"),
    TermSpec("干细胞美容", "medical_ad", "warn"),
    # Pseudoscience and superstition: mostly hints, since debunking them is our job.
    TermSpec("量子波动速读", "pseudoscience", "warn"),
    TermSpec("水知道答案", "pseudoscience", "info"),
    TermSpec("风水改运", "superstition", "warn"),
    TermSpec("转运符", "superstition", "warn"),
    TermSpec("开光", "superstition", "info"),
    TermSpec("算命", "superstition", "info"),
]

# Innocent phrases that contain a short dictionary term across a word boundary ("新疆独特" holds
# "疆独", "平台独家" holds "台独"). A dictionary match lying wholly inside one of them is dropped.
DEFAULT_ALLOW: Final[tuple[str, ...]] = (
    "平台独",
    "舞台独",
    "阳台独",
    "后台独",
    "前台独",
    "电台独",
    "讲台独",
    "站台独",
    "柜台独",
    "窗台独",
    "天台独",
    "新疆独特",
    "新疆独有",
    "西藏独特",
    "西藏独有",
    "收藏独",
    "宝藏独",
    "珍藏独",
    "冷藏独",
    "储藏独",
    "香港独特",
    "香港独有",
)


# --- the screener --------------------------------------------------------------------------------

# What an automaton key stands for; one key can stand for several things at once.
_TERM, _HEALTH, _KEYWORD, _CLAIM, _SCIENCE, _ALLOW = range(6)

_Span = tuple[int, int]  # UTF-8 byte offsets into the normalised text, end exclusive


def _window(occurrences: Mapping[int, list[_Span]]) -> _Span:
    """Smallest span holding one occurrence of every keyword."""
    events = sorted((s, e, kw) for kw, spans in occurrences.items() for s, e in spans)
    latest: dict[int, _Span] = {}
    best: _Span | None = None
    for s, e, kw in events:
        latest[kw] = (s, e)
        if len(latest) == len(occurrences):
            start = min(span[0] for span in latest.values())
            end = max(span[1] for span in latest.values())
            if best is None or end - start < best[1] - best[0]:
                best = (start, end)
    assert best is not None
    return best


class Screener:
    """Scans named text fields against a dictionary, built-in checks and a rumor library.

    Everything is matched in one Aho-Corasick pass over the normalised text of a field. The
    automaton runs over the UTF-8 bytes (viewed as Latin-1 characters): pyahocorasick looks up a
    node's children linearly, and with thousands of distinct first characters a pass over Chinese
    text as code points runs at about 3 MB/s, over its bytes at about 40 MB/s. UTF-8 being
    self-synchronising, a match of whole keys always starts and ends on character boundaries.

    Terms, claims, keywords and `allow` phrases whose normalised form is empty are ignored; a
    dictionary match lying wholly inside a match of an `allow` phrase is not reported.
    """

    def __init__(
        self,
        terms: Iterable[TermSpec],
        rumors: Iterable[RumorSpec] = (),
        *,
        allow: Iterable[str] = DEFAULT_ALLOW,
    ) -> None:
        keys: dict[str, list[tuple[int, int]]] = {}

        def add(text: str, kind: int, index: int) -> None:
            key = normalize(text)
            if key:
                keys.setdefault(key, []).append((kind, index))

        # The same term can reach the dictionary twice (traditional and simplified, or with and
        # without a space); it is one term and reported once, with its most severe entry.
        by_key: dict[str, TermSpec] = {}
        for spec in terms:
            key = normalize(spec.term)
            kept = by_key.get(key)
            if key and (
                kept is None or _SEVERITY_RANK[spec.severity] > _SEVERITY_RANK[kept.severity]
            ):
                by_key[key] = spec
        self._terms: list[TermSpec] = list(by_key.values())
        for index, spec in enumerate(self._terms):
            add(spec.term, _TERM, index)

        for index, claim in enumerate(HEALTH_CLAIMS):
            add(claim, _HEALTH, index)
        for index, marker in enumerate(SCIENCE_MARKERS):
            add(marker, _SCIENCE, index)
        for index, phrase in enumerate(allow):
            add(phrase, _ALLOW, index)

        self._rumors: list[RumorSpec] = list(rumors)
        keyword_ids: dict[str, int] = {}
        self._rumor_keywords: list[frozenset[int]] = []
        self._rumors_by_keyword: dict[int, list[int]] = {}
        for index, rumor in enumerate(self._rumors):
            add(rumor.claim, _CLAIM, index)
            ids: set[int] = set()
            for word in rumor.keywords:
                key = normalize(word)
                if not key:
                    continue
                if key not in keyword_ids:
                    keyword_ids[key] = len(keyword_ids)
                    keys.setdefault(key, []).append((_KEYWORD, keyword_ids[key]))
                ids.add(keyword_ids[key])
            self._rumor_keywords.append(frozenset(ids))
            for kw in ids:
                self._rumors_by_keyword.setdefault(kw, []).append(index)

        automaton = ahocorasick.Automaton()
        for key, entries in keys.items():
            raw = key.encode("utf-8")
            automaton.add_word(raw.decode("latin-1"), (len(raw), tuple(entries)))
        automaton.make_automaton()
        self._automaton = automaton

    def scan(
        self, fields: Mapping[str, str | None], *, has_references: bool | None = None
    ) -> list[Finding]:
        """Findings for each named field, sorted by field (in the given order), then position.

        `has_references`: whether the content cites references. When None, it is taken from a
        "references" field if one is given; without one (a comment), references are not checked.
        """
        if has_references is None and "references" in fields:
            has_references = bool((fields["references"] or "").strip())
        want_science = has_references is False
        science = False
        findings: list[Finding] = []
        for name, text in fields.items():
            if not text:
                continue
            claims_science = self._scan_field(name, text, findings)
            if want_science and not science and name != "references":
                science = claims_science or _PERCENT_RE.search(text) is not None
        if science:
            findings.append(
                Finding(
                    check="references",
                    severity="info",
                    field="references",
                    start=0,
                    end=0,
                    excerpt="",
                    message="文中有科学性陈述（如「研究表明」、百分比数据），但没有列出参考文献，"
                    "请补充来源",
                )
            )
        order = {name: rank for rank, name in enumerate(fields)}
        findings.sort(
            key=lambda f: (order.get(f.field, len(order)), f.start, f.end, f.check, f.message)
        )
        return findings

    def _scan_field(self, name: str, text: str, out: list[Finding]) -> bool:
        """Append the field's findings to `out`; return whether it makes science claims."""
        marked, norm = _fold(text)
        raw = norm.encode("utf-8")

        terms: list[tuple[int, int, int]] = []
        health: list[tuple[int, int, int]] = []
        allowed: list[_Span] = []
        claims: dict[int, _Span] = {}
        keywords: dict[int, list[_Span]] = {}
        science = False
        for last, (length, entries) in self._automaton.iter(raw.decode("latin-1")):
            start, end = last + 1 - length, last + 1
            for kind, index in entries:
                if kind == _TERM:
                    terms.append((start, end, index))
                elif kind == _HEALTH:
                    health.append((start, end, index))
                elif kind == _SCIENCE:
                    science = True
                elif kind == _ALLOW:
                    allowed.append((start, end))
                elif kind == _CLAIM:
                    claims.setdefault(index, (start, end))
                else:
                    keywords.setdefault(index, []).append((start, end))

        if allowed:
            terms = [
                hit for hit in terms if not any(a <= hit[0] and hit[1] <= b for a, b in allowed)
            ]
        rumors = dict(claims)  # a claim's own span is the better excerpt than its keywords
        for candidate in {r for kw in keywords for r in self._rumors_by_keyword[kw]}:
            needed = self._rumor_keywords[candidate]
            if candidate not in rumors and needed <= keywords.keys():
                rumors[candidate] = _window({kw: keywords[kw] for kw in needed})
        if not (terms or health or rumors):
            return science

        spans = [(s, e) for s, e, _ in terms] + [(s, e) for s, e, _ in health]
        spans += rumors.values()
        to_char = (
            {b: b for span in spans for b in span}
            if len(raw) == len(norm)
            else _byte_to_char(raw, (b for span in spans for b in span))
        )
        to_orig: Callable[[int], int] = _identity if norm == marked else _OffsetMap(text, marked)

        def finding(
            span: _Span, check: str, severity: str, message: str, category: str | None = None
        ) -> Finding:
            start = to_orig(to_char[span[0]])
            end = to_orig(to_char[span[1]] - 1) + 1
            return Finding(check, severity, name, start, end, text[start:end], message, category)

        for s, e, index in terms:
            spec = self._terms[index]
            message = f"敏感词「{spec.term}」(类别: {spec.category})"
            out.append(finding((s, e), "dictionary", spec.severity, message, spec.category))
        for s, e, index in health:
            message = (
                f"绝对化或夸大的健康宣称「{HEALTH_CLAIMS[index]}」，请改为有依据、有限定的表述"
            )
            out.append(finding((s, e), "health_claim", "warn", message))
        for index, span in rumors.items():
            rumor = self._rumors[index]
            message = f"与已知谣言相符：「{rumor.claim}」。真相：{rumor.truth}"
            out.append(finding(span, "rumor", "warn", message))
        return science
