"""The screener: every check over the named fields of one piece of content in a few passes, and
the findings it reports, with offsets into each field's source text.

Pure Python, no I/O: the caller loads the dictionary and the rumor library and builds a `Screener`
once; a built `Screener` is immutable and can be shared between threads.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import ahocorasick

from content.markdown import Visible, visible_text
from content.screening.claims import SCIENCE_MARKERS, ClaimKind, find_claims
from content.screening.findings import SEVERITY_RANK, Check, Finding
from content.screening.fold import (
    Folded,
    byte_to_char,
    fold,
    han_only,
    homophones,
    normalize,
    pinyin_key,
)
from content.screening.rumors import (
    NEGATION_CUES,
    REFUTING_CUES,
    RumorSpec,
    required_groups,
    smallest_window,
)
from content.screening.terms import DEFAULT_ALLOW, TermSpec, spread_is_evasion

__all__ = ["Screener"]

_PERCENT_RE: Final = re.compile(r"\d\s*[%％‰]")
_HAN_RE: Final = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]+")
RUMOR_WINDOW: Final = 60  # keywords further apart than this (normalised characters) are unrelated
_REFUTE_NEAR: Final = 40  # how close a refuting word must be to a rumor or claim
_NEGATE_NEAR: Final = 15  # … and a plain negation
_MIN_PINYIN_LETTERS: Final = 6  # shorter pinyin spellings hide inside ordinary Latin words

# What an automaton key stands for; one key can stand for several things at once.
_TERM, _HOMOPHONE, _ALLOW, _KEYWORD, _CLAIM, _SCIENCE, _REFUTE, _NEGATE = range(8)

_Span = tuple[int, int]
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
    if found and len(raw) != len(norm):
        to_char = byte_to_char(raw, [b for s, e, _, _ in found for b in (s, e)])
        found = [(to_char[s], to_char[e], kind, index) for s, e, kind, index in found]
    return found


@dataclass
class _Field:
    """What one field holds, before the content as a whole decides the severities."""

    findings: list[Finding] = field(default_factory=list)
    refutable: list[int] = field(default_factory=list)  # findings a refuting title turns to info
    science: bool = False
    refutes: bool = False  # the field holds a refuting word anywhere


class Screener:
    """Scans named text fields against a dictionary, built-in checks and a rumor library.

    A field is folded (case, width, traditional → simplified, separators dropped) and matched in
    one Aho-Corasick pass; Chinese terms are matched in a second pass over its Chinese characters
    only, so letters, digits or emoji slipped between them do not hide a term, and terms marked
    for it in a third pass over its homophones. Terms, claims, keywords and `allow` phrases whose
    normalised form is empty are ignored; a dictionary match lying wholly inside a match of an
    `allow` phrase is not reported.
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
        full: dict[str, list[tuple[int, int]]] = {}
        han: dict[str, list[tuple[int, int]]] = {}
        homo: dict[str, list[tuple[int, int]]] = {}

        def add(keys: dict[str, list[tuple[int, int]]], key: str, kind: int, index: int) -> None:
            if key:
                keys.setdefault(key, []).append((kind, index))

        def chinese(key: str) -> bool:
            return _HAN_RE.fullmatch(key) is not None

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
            add(han if chinese(key) else full, key, _TERM, index)
            if spec.pinyin and chinese(key) and len(key) >= 3:
                add(homo, homophones(key), _HOMOPHONE, index)
                spelt = pinyin_key(key)
                if len(spelt) >= _MIN_PINYIN_LETTERS:
                    add(full, spelt, _TERM, index)
        for index, phrase in enumerate(allow):
            key = normalize(phrase)
            add(han if chinese(key) else full, key, _ALLOW, index)
        for index, marker in enumerate(SCIENCE_MARKERS):
            add(full, normalize(marker), _SCIENCE, index)
        for index, cue in enumerate(REFUTING_CUES):
            add(full, normalize(cue), _REFUTE, index)
        self._negations = [normalize(cue) for cue in NEGATION_CUES]
        for index, cue in enumerate(self._negations):
            add(full, cue, _NEGATE, index)

        self._rumors: list[RumorSpec] = list(rumors)
        self._rumor_claims = [normalize(r.claim) for r in self._rumors]
        self._rumor_need: list[int] = []
        self._keyword_groups: list[list[tuple[int, int]]] = []  # keyword id → (rumor, group)
        keyword_ids: dict[str, int] = {}
        for index, rumor in enumerate(self._rumors):
            add(full, self._rumor_claims[index], _CLAIM, index)
            groups, need = required_groups(rumor)
            self._rumor_need.append(need)
            for group_no, group in enumerate(groups):
                for word in group:
                    key = normalize(word)
                    if not key:
                        continue
                    if key not in keyword_ids:
                        keyword_ids[key] = len(keyword_ids)
                        self._keyword_groups.append([])
                        add(full, key, _KEYWORD, keyword_ids[key])
                    self._keyword_groups[keyword_ids[key]].append((index, group_no))

        self._full = _automaton(full)
        self._han = _automaton(han)
        self._homo = _automaton(homo)

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
        result = _Field(science=_PERCENT_RE.search(visible.text) is not None)

        allowed: list[_Span] = []
        han_allowed: list[_Span] = []
        terms: list[tuple[Folded, int, int, int, bool]] = []  # (form, start, end, term, homophone)
        claims: dict[int, _Span] = {}
        keywords: dict[int, list[_Span]] = {}
        refutes: list[int] = []
        negations: list[tuple[int, int]] = []
        for s, e, kind, index in _hits(self._full, folded.norm):
            if kind == _TERM:
                terms.append((folded, s, e, index, False))
            elif kind == _ALLOW:
                allowed.append((s, e))
            elif kind == _KEYWORD:
                keywords.setdefault(index, []).append((s, e))
            elif kind == _CLAIM:
                claims.setdefault(index, (s, e))
            elif kind == _SCIENCE:
                result.science = True
            elif kind == _REFUTE:
                refutes.append(s)
            else:
                negations.append((s, index))
        result.refutes = bool(refutes)

        chinese = han_only(folded) if self._han or self._homo else None
        if chinese is not None:
            for s, e, kind, index in _hits(self._han, chinese.norm):
                if kind == _TERM:
                    terms.append((chinese, s, e, index, False))
                else:
                    han_allowed.append((s, e))
            exact = {(s, e) for form, s, e, _, _ in terms if form is chinese}
            for s, e, _, index in _hits(self._homo, homophones(chinese.norm)):
                if (s, e) not in exact:
                    terms.append((chinese, s, e, index, True))

        def source_span(form: Folded, start: int, end: int) -> _Span:
            return visible.source_span(form.to_source(start), form.to_source(end - 1) + 1)

        def finding(
            span: _Span,
            check: Check,
            severity: str,
            message: str,
            category: str | None = None,
            ref: str | None = None,
        ) -> None:
            excerpt = text[span[0] : span[1]]
            message = message.replace(_EXCERPT, excerpt)
            result.findings.append(
                Finding(check, severity, name, span[0], span[1], excerpt, message, category, ref,
                        self.version)
            )  # fmt: skip

        for form, s, e, index, homophone in terms:
            spans = han_allowed if form is chinese else allowed
            if any(a <= s and e <= b for a, b in spans):
                continue
            if not spread_is_evasion(visible.text, [form.to_source(i) for i in range(s, e)]):
                continue
            spec = self._terms[index]
            severity = spec.severity
            how = "含有"
            if homophone:
                # A homophone may be an innocent word: a reviewer looks, nothing blocks at once.
                severity = min(severity, "warn", key=SEVERITY_RANK.__getitem__)
                how = "疑似用谐音写出了"
            message = (
                f"{_EXCERPT_Q}{how}敏感词「{spec.term}」（类别：{spec.category}），"
                "请删除或改写这部分内容"
            )
            span = source_span(form, s, e)
            finding(span, Check.dictionary, severity, message, category=spec.category)

        def refuted(s: int, e: int, own: str = "") -> bool:
            if any(s - _REFUTE_NEAR <= at <= e + _REFUTE_NEAR for at in refutes):
                return True
            return any(
                s - _NEGATE_NEAR <= at <= e + _NEGATE_NEAR and self._negations[i] not in own
                for at, i in negations
            )

        def flagged(span: _Span, check: Check, near_refutation: bool, message: str,
                    hint: str, ref: str | None = None) -> None:  # fmt: skip
            if near_refutation:
                finding(source_span(folded, *span), check, "info", hint, ref=ref)
            else:
                result.refutable.append(len(result.findings))
                finding(source_span(folded, *span), check, "warn", message, ref=ref)

        for s, e, kind_of in find_claims(folded.norm):
            hint = _EXCERPT_Q + "是绝对化的健康宣称，这里看起来是在批驳它；请确认上下文写清了事实"
            flagged((s, e), Check.health_claim, refuted(s, e), _claim_message(kind_of), hint)

        for index, span in self._rumor_spans(claims, keywords).items():
            rumor = self._rumors[index]
            source = f"（来源：{rumor.source}）" if rumor.source else ""
            flagged(
                span, Check.rumor, refuted(*span, own=self._rumor_claims[index]),
                f"与已知谣言「{rumor.claim}」相符。经核实：{rumor.truth}{source}"
                "请删除或改正这部分内容；如果是在辟谣，请写明真相。",
                f"这里提到了已知谣言「{rumor.claim}」，看起来是在辟谣。请确认写清了真相："
                f"{rumor.truth}{source}",
                rumor.ref,
            )  # fmt: skip
        return result

    def _rumor_spans(
        self, claims: Mapping[int, _Span], keywords: Mapping[int, list[_Span]]
    ) -> dict[int, _Span]:
        """Each rumor found in a field, and where: its claim, else its keywords close together."""
        found = dict(claims)  # a claim's own span is a better excerpt than its keywords
        by_rumor: dict[int, dict[int, list[_Span]]] = {}
        for keyword, spans in keywords.items():
            for rumor, group in self._keyword_groups[keyword]:
                by_rumor.setdefault(rumor, {}).setdefault(group, []).extend(spans)
        for rumor, groups in by_rumor.items():
            if rumor in found or len(groups) < self._rumor_need[rumor]:
                continue
            start, end = smallest_window(groups, self._rumor_need[rumor])
            if end - start <= RUMOR_WINDOW:
                found[rumor] = (start, end)
        return found


def _claim_message(kind: ClaimKind) -> str:
    return _EXCERPT_Q + "是绝对化或夸大的健康宣称。" + kind.advice


def _as_info(finding: Finding) -> Finding:
    hint = "标题表明这是辟谣内容，此处仅作提示：" + finding.message
    return Finding(
        finding.check, "info", finding.field, finding.start, finding.end, finding.excerpt, hint,
        finding.category, finding.ref, finding.dictionary_version,
    )  # fmt: skip
