"""The screener: every check over the named fields of one piece of content in a few passes, and
the findings it reports, with offsets into each field's source text.

Pure Python, no I/O: the caller loads the dictionary and the rumor library and builds a `Screener`
once; a built `Screener` is immutable and can be shared between threads.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import ahocorasick

from content.markdown import Visible, visible_text
from content.screening.claims import CLAIMS, SCIENCE_MARKERS, ClaimKind, find_claims
from content.screening.findings import SEVERITY_RANK, Check, Finding
from content.screening.fold import (
    HAN_RE,
    NOT_HAN_RE,
    Folded,
    HanMap,
    byte_to_char,
    fold,
    han_norm,
    homophone_spellings,
    normalize,
    pinyin_key,
)
from content.screening.rumors import (
    NEGATION_CUES,
    REFUTING_CUES,
    RumorSpec,
    close_together,
    required_groups,
)
from content.screening.terms import DEFAULT_ALLOW, TermSpec, spread_is_evasion

__all__ = ["Screener"]

_PERCENT_RE: Final = re.compile(r"\d\s*[%％‰]")
_HAN_RE: Final = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]+")
# Distances in characters of the text as read: keywords further apart are unrelated; a refuting
# word must be this close to a rumor or a claim, and a plain negation closer.
RUMOR_WINDOW: Final = 80
_REFUTE_NEAR: Final = 40
_NEGATE_NEAR: Final = 15
_MIN_PINYIN_LETTERS: Final = 6  # shorter pinyin spellings hide inside ordinary Latin words

# What an automaton key stands for; one key can stand for several things at once.
_KINDS = 9
_TERM, _HOMOPHONE, _ALLOW, _KEYWORD, _CLAIM, _SCIENCE, _REFUTE, _NEGATE, _ANCHOR = range(_KINDS)

_Span = tuple[int, int]
_HAN_FORM, _FULL_FORM = 0, 1
_EXCERPT: Final = "\x00"  # where a message names the excerpt
_EXCERPT_Q: Final = f"「{_EXCERPT}」"


def _automaton(keys: Mapping[str, list[tuple[int, int]]]) -> ahocorasick.Automaton | None:
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


@dataclass
class _Field:
    """What one field holds, before the content as a whole decides the severities."""

    findings: list[Finding] = field(default_factory=list)
    refutable: list[int] = field(default_factory=list)  # findings a refuting title turns to info
    science: bool = False
    refutes: bool = False  # the field holds a refuting word anywhere


class Screener:
    """Scans named text fields against a dictionary, built-in checks and a rumor library.

    A field is read as rendered and folded (case, width, traditional → simplified, separators
    dropped). Everything Chinese — terms and their homophone spellings, rumor keywords, claim
    anchors, refuting words — is matched in one Aho-Corasick pass over its Chinese characters only,
    so letters, digits or emoji slipped between them hide nothing; keys with other characters
    (Falun Gong, HPV, pinyin spellings) in a second pass over the stretches around such characters.
    Keys whose normalised form is empty are ignored; a dictionary match lying wholly inside a match
    of an `allow` phrase is not reported.
    """

    def __init__(
        self,
        terms: Iterable[TermSpec],
        rumors: Iterable[RumorSpec] = (),
        *,
        allow: Iterable[str] = DEFAULT_ALLOW,
        version: int | None = None,
    ) -> None:
        self.version = version
        han: dict[str, list[tuple[int, int]]] = {}
        mixed: dict[str, list[tuple[int, int]]] = {}

        def add(key: str, kind: int, index: int) -> None:
            # Keys of Chinese characters only are matched in the Chinese projection of a text,
            # where nothing of another script can stand between their characters; the others
            # (Falun Gong, HPV, 5G) in the full normalised text.
            if key:
                keys = han if HAN_RE.fullmatch(key) else mixed
                keys.setdefault(key, []).append((kind, index))

        # The same term can reach the dictionary twice (traditional and simplified, or with and
        # without a space); it is one term and reported once, with its most severe entry.
        by_key: dict[str, TermSpec] = {}
        for spec in terms:
            key = normalize(spec.term)
            kept = by_key.get(key)
            if key and (
                kept is None or SEVERITY_RANK[spec.severity] > SEVERITY_RANK[kept.severity]
            ):
                by_key[key] = spec
        self._terms: list[TermSpec] = list(by_key.values())
        for index, (key, spec) in enumerate(by_key.items()):
            add(key, _TERM, index)
            if spec.pinyin and HAN_RE.fullmatch(key) and len(key) >= 3:
                for spelling in homophone_spellings(key):
                    add(spelling, _HOMOPHONE, index)
                spelt = pinyin_key(key)
                if len(spelt) >= _MIN_PINYIN_LETTERS:
                    add(spelt, _HOMOPHONE, index)
        for index, phrase in enumerate(allow):
            add(normalize(phrase), _ALLOW, index)
        for claim in CLAIMS:
            for word in claim.anchor_words:
                add(normalize(word), _ANCHOR, 0)
        for index, marker in enumerate(SCIENCE_MARKERS):
            add(normalize(marker), _SCIENCE, index)
        for index, cue in enumerate(REFUTING_CUES):
            add(normalize(cue), _REFUTE, index)
        self._negations = [normalize(cue) for cue in NEGATION_CUES]
        for index, cue in enumerate(self._negations):
            add(cue, _NEGATE, index)

        self._rumors: list[RumorSpec] = list(rumors)
        self._rumor_claims = [normalize(r.claim) for r in self._rumors]
        self._rumor_need: list[int] = []
        self._rumor_groups: list[list[set[int]]] = []  # rumor → its groups' keyword ids
        self._keyword_groups: list[list[tuple[int, int]]] = []  # keyword id → (rumor, group)
        keyword_ids: dict[str, int] = {}
        for index, rumor in enumerate(self._rumors):
            add(self._rumor_claims[index], _CLAIM, index)
            groups, need = required_groups(rumor)
            self._rumor_need.append(need)
            self._rumor_groups.append([set() for _ in groups])
            for group_no, group in enumerate(groups):
                for word in group:
                    key = normalize(word)
                    if not key:
                        continue
                    if key not in keyword_ids:
                        keyword_ids[key] = len(keyword_ids)
                        self._keyword_groups.append([])
                        add(key, _KEYWORD, keyword_ids[key])
                    self._keyword_groups[keyword_ids[key]].append((index, group_no))
                    self._rumor_groups[index][group_no].add(keyword_ids[key])

        self._han = _automaton(han)
        self._mixed = _automaton(mixed)
        # A mixed key holds a character that is not Chinese; a match of it lies within this many
        # characters of one, which is all of a mostly Chinese text the mixed pass has to read.
        self._mixed_reach = max(map(len, mixed), default=0)

    def scan(
        self,
        fields: Mapping[str, str | None],
        *,
        has_references: bool | None = None,
        markdown: Collection[str] = ("body",),
    ) -> list[Finding]:
        """Findings for each named field, sorted by field (in the given order), then position.

        Fields named in `markdown` are read as rendered. `has_references`: whether the content
        cites references. When None, it is taken from a "references" field if one is given;
        without one (a comment), references are not checked. A rumor or a claim near refuting
        words, or in content whose title refutes, is a debunking text: an `info` hint only.
        """
        if has_references is None and "references" in fields:
            has_references = bool((fields["references"] or "").strip())
        scanned = {
            name: self._scan_field(name, text, name in markdown)
            for name, text in fields.items()
            if text
        }
        title = scanned.get("title")
        title_refutes = title is not None and title.refutes
        findings: list[Finding] = []
        science = False
        for name, result in scanned.items():
            refutable = set(result.refutable) if title_refutes else set()
            findings += [
                _as_info(f) if i in refutable else f for i, f in enumerate(result.findings)
            ]
            science = science or (name != "references" and result.science)
        if has_references is False and science:
            findings.append(
                Finding(
                    check=Check.references,
                    severity="info",
                    field="references",
                    start=0,
                    end=0,
                    excerpt="",
                    message="文中有科学性陈述（如「研究表明」、百分比数据），但没有列出参考文献，"
                    "请补充来源",
                    dictionary_version=self.version,
                )
            )
        order = {name: rank for rank, name in enumerate(fields)}
        findings.sort(
            key=lambda f: (order.get(f.field, len(order)), f.start, f.end, f.check, f.message)
        )
        return findings

    def _scan_field(self, name: str, text: str, is_markdown: bool) -> _Field:
        visible = visible_text(text) if is_markdown else Visible(text)
        folded = fold(visible.text)
        hits = _FieldHits(self, visible, folded)
        result = _Field(science=_PERCENT_RE.search(visible.text) is not None)
        result.science = result.science or hits.science
        result.refutes = bool(hits.refutes)

        def finding(
            vis: _Span,
            check: Check,
            severity: str,
            message: str,
            category: str | None = None,
            ref: str | None = None,
        ) -> None:
            start, end = visible.source_span(*vis)
            excerpt = text[start:end]
            message = message.replace(_EXCERPT, excerpt)
            result.findings.append(
                Finding(check, severity, name, start, end, excerpt, message, category, ref,
                        self.version)
            )  # fmt: skip

        for positions, index, homophone in hits.terms():
            spec = self._terms[index]
            severity = spec.severity
            how = "含有"
            if homophone:
                # A homophone may be an innocent word: a reviewer looks, nothing blocks at once.
                severity = min(severity, "warn", key=SEVERITY_RANK.__getitem__)
                how = "疑似用谐音或拼音写出了"
            message = (
                f"{_EXCERPT_Q}{how}敏感词「{spec.term}」（类别：{spec.category}），"
                "请删除或改写这部分内容"
            )
            vis = (positions[0], positions[-1] + 1)
            finding(vis, Check.dictionary, severity, message, category=spec.category)

        def flagged(span: _Span, check: Check, refuted: bool, message: str, hint: str,
                    ref: str | None = None) -> None:  # fmt: skip
            vis = hits.visible_span(*span)
            if refuted:
                finding(vis, check, "info", hint, ref=ref)
            else:
                result.refutable.append(len(result.findings))
                finding(vis, check, "warn", message, ref=ref)

        for span, kind_of in hits.claims():
            hint = _EXCERPT_Q + "是绝对化的健康宣称，这里看起来是在批驳它；请确认上下文写清了事实"
            flagged(span, Check.health_claim, hits.refuted(span), _claim_message(kind_of), hint)

        for index, span in hits.rumors().items():
            rumor = self._rumors[index]
            source = f"（来源：{rumor.source}）" if rumor.source else ""
            flagged(
                span, Check.rumor, hits.refuted(span, own=self._rumor_claims[index]),
                f"与已知谣言「{rumor.claim}」相符。经核实：{rumor.truth}{source}"
                "请删除或改正这部分内容；如果是在辟谣，请写明真相。",
                f"这里提到了已知谣言「{rumor.claim}」，看起来是在辟谣。请确认写清了真相："
                f"{rumor.truth}{source}",
                rumor.ref,
            )  # fmt: skip
        return result


class _FieldHits:
    """Every key found in one field, and the way from each back to the text as read.

    The main pass reads the Chinese characters only; the mixed pass reads only the stretches of
    the full normalised text around characters that are not Chinese. Positions in the Chinese
    projection are mapped back only when something found there is reported.
    """

    def __init__(self, screener: Screener, visible: Visible, folded: Folded) -> None:
        self._screener = screener
        self._visible = visible
        self._folded = folded
        self._han_text = han_norm(folded.norm)
        self._han_map: HanMap | None = None
        self._anchors: list[tuple[int, int]] = []
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
        hits: list[list[tuple[int, int, int, int]]] = [[] for _ in range(_KINDS)]
        for s, e, kind, index in _hits(screener._han, self._han_text):
            hits[kind].append((_HAN_FORM, s, e, index))
        if screener._mixed is not None:
            for lo, hi in self._mixed_windows():
                for s, e, kind, index in _hits(screener._mixed, folded.norm[lo:hi]):
                    hits[kind].append((_FULL_FORM, s + lo, e + lo, index))
        self._terms = [(f, s, e, i, False) for f, s, e, i in hits[_TERM]]
        self._terms += [(f, s, e, i, True) for f, s, e, i in hits[_HOMOPHONE]]
        self._allowed = [(f, s, e) for f, s, e, _ in hits[_ALLOW]]
        for f, s, e, i in hits[_KEYWORD]:
            self._keywords.setdefault(i, []).append((f, s, e))
        for f, s, e, i in hits[_CLAIM]:
            self._claims.setdefault(i, (f, s, e))
        self.science = bool(hits[_SCIENCE])
        self.refutes = [(f, s) for f, s, _, _ in hits[_REFUTE]]
        self._negations = [(f, s, i) for f, s, _, i in hits[_NEGATE]]
        self._anchors = [(f, s) for f, s, _, _ in hits[_ANCHOR]]

    def _mixed_windows(self) -> list[_Span]:
        reach = self._screener._mixed_reach
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

    def visible_span(self, start: int, end: int) -> _Span:
        """The span in the text as read of the normalised characters [start, end)."""
        return self._folded.to_source(start), self._folded.to_source(end - 1) + 1

    def claims(self) -> list[tuple[_Span, ClaimKind]]:
        """(span in normalised text, kind) of each absolute claim."""
        anchors = [self._to_norm(form, at) for form, at in self._anchors]
        return [((s, e), kind) for s, e, kind in find_claims(self._folded.norm, anchors)]

    def terms(self) -> list[tuple[list[int], int, bool]]:
        """(positions in the text as read, term, homophone) of each term really there."""
        found = []
        for form, s, e, index, homophone in self._terms:
            if any(f == form and a <= s and e <= b for f, a, b in self._allowed):
                continue
            positions = [self._to_visible(form, i) for i in range(s, e)]
            if spread_is_evasion(self._visible.text, positions):
                found.append((positions, index, homophone))
        return found

    def rumors(self) -> dict[int, _Span]:
        """Each rumor found, and where in normalised text: its claim, else its keywords close
        together."""
        screener = self._screener
        found = {rumor: self._norm_span(*at) for rumor, at in self._claims.items()}
        present = self._keywords.keys()
        candidates = {r for kw in present for r, _ in screener._keyword_groups[kw]}
        for rumor in candidates - found.keys():
            groups: dict[int, list[tuple[int, int, int]]] = {}
            for group, ids in enumerate(screener._rumor_groups[rumor]):
                for kw in ids & present:
                    groups.setdefault(group, []).extend(self._keywords[kw])
            need = screener._rumor_need[rumor]
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
        of the rumor's own claim (`own`) do not count."""
        if self._cues is None:
            self._cues = sorted(self._to_norm(form, at) for form, at in self.refutes)
            self._negation_at = sorted((self._to_norm(f, at), i) for f, at, i in self._negations)
        start, end = span
        k = bisect_left(self._cues, start - _REFUTE_NEAR)
        if k < len(self._cues) and self._cues[k] <= end + _REFUTE_NEAR:
            return True
        negations = self._screener._negations
        k = bisect_left(self._negation_at, (start - _NEGATE_NEAR, -1))
        for at, index in self._negation_at[k:]:
            if at > end + _NEGATE_NEAR:
                break
            if negations[index] not in own:
                return True
        return False


def _claim_message(kind: ClaimKind) -> str:
    return _EXCERPT_Q + "是绝对化或夸大的健康宣称。" + kind.advice


def _as_info(finding: Finding) -> Finding:
    hint = "标题表明这是辟谣内容，此处仅作提示：" + finding.message
    return Finding(
        finding.check, "info", finding.field, finding.start, finding.end, finding.excerpt, hint,
        finding.category, finding.ref, finding.dictionary_version,
    )  # fmt: skip
