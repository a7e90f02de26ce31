"""The screener: every check over the named fields of one content in a few passes. Pure, no
I/O; once built, immutable and shared between threads."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from content.errors import Invalid
from content.kit import Visible, visible_plain, visible_text
from content.models import Severity
from content.screening.claims import CODE_CLAIMS, HEALTH_CLAIMS, SCIENCE_MARKERS, ClaimKind
from content.screening.context import FAMILY_LABELS, Reading, read_claim
from content.screening.findings import SEVERITY_RANK, Check, Finding
from content.screening.fold import (
    HAN_RE,
    fold,
    homophone_spellings,
    normalize,
    pinyin_keys,
)
from content.screening.hits import (
    ALLOW,
    ANCHOR,
    CLAIM,
    HOMOPHONE,
    KEYWORD,
    NEGATE,
    REFUTE,
    SCIENCE,
    TERM,
    FieldHits,
    Tables,
    automaton,
)
from content.screening.patterns import ClaimSpec, CompiledPattern, compile_pattern
from content.screening.rumors import (
    NEGATION_CUES,
    REFUTING_CUES,
    RumorSpec,
    denial_re,
    meaning_words,
    required_groups,
    truth_words,
)
from content.screening.terms import DEFAULT_ALLOW, TermSpec

__all__ = ["Screener"]

log = logging.getLogger(__name__)

_PERCENT_RE: Final = re.compile(r"\d\s*[%％‰]")
_MIN_PINYIN_LETTERS: Final = 6  # shorter pinyin spellings hide inside ordinary Latin words


_Span = tuple[int, int]
_EXCERPT: Final = "\x00"  # where a message names the excerpt
_EXCERPT_Q: Final = f"「{_EXCERPT}」"


@dataclass
class _Field:
    """What one field holds, before the content as a whole decides the severities."""

    findings: list[Finding] = field(default_factory=list)
    science: bool = False


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
        claims: Iterable[ClaimSpec] = (),
    ) -> None:
        self.version = version
        keys = _Keys()
        self._terms = _add_terms(keys, terms)
        negations = _add_cues(keys, allow)
        self._patterns = _add_patterns(keys, claims)
        self._rumors: list[RumorSpec] = list(rumors)
        self._rumor_claims = [normalize(r.claim) for r in self._rumors]
        library = _add_rumors(keys, self._rumors, self._rumor_claims)
        self._tables = Tables(
            han=automaton(keys.han),
            mixed=automaton(keys.mixed),
            mixed_reach=max(map(len, keys.mixed), default=0),
            keyword_groups=library.keyword_groups,
            rumor_groups=library.rumor_groups,
            rumor_need=library.rumor_need,
            negations=negations,
            denials=library.denials,
            truths=library.truths,
            patterns=self._patterns,
        )

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
        without one (a comment), references are not checked. A rumor or a claim with refuting
        words near it is being debunked: an `info` hint only. Refuting words elsewhere (in the
        title, say) change nothing, or a spreader would title a post 「真相：…」 to pass.
        """
        if has_references is None and "references" in fields:
            has_references = bool((fields["references"] or "").strip())
        scanned = {
            name: self._scan_field(name, text, name in markdown)
            for name, text in fields.items()
            if text
        }
        findings: list[Finding] = []
        science = False
        for name, result in scanned.items():
            findings += result.findings
            science = science or (name != "references" and result.science)
        if has_references is False and science:
            findings.append(_references_missing(self.version))
        order = {name: rank for rank, name in enumerate(fields)}
        findings.sort(
            key=lambda f: (order.get(f.field, len(order)), f.start, f.end, f.check, f.message)
        )
        return findings

    def _scan_field(self, name: str, text: str, is_markdown: bool) -> _Field:
        visible = visible_text(text) if is_markdown else visible_plain(text)
        hits = FieldHits(self._tables, visible, fold(visible.text))
        found = _Findings(name, text, visible, hits, self.version)
        self._report_terms(found)
        _report_claims(found)
        self._report_patterns(found)
        self._report_rumors(found)
        science = _PERCENT_RE.search(visible.text) is not None or hits.science
        return _Field(findings=found.findings, science=science)

    def _report_terms(self, found: _Findings) -> None:
        for positions, index, homophone in found.hits.terms():
            spec = self._terms[index]
            severity = spec.severity
            how = "含有"
            if homophone:
                # A homophone may be an innocent word: a reviewer looks, nothing blocks at once.
                severity = min(severity, Severity.warn, key=SEVERITY_RANK.__getitem__)
                how = "疑似用谐音或拼音写出了"
            message = (
                f"{_EXCERPT_Q}{how}敏感词「{spec.term}」（类别：{spec.category}），"
                "请删除或改写这部分内容"
            )
            vis = (positions[0], positions[-1] + 1)
            found.add(vis, Check.dictionary, severity, message, category=spec.category)

    def _report_patterns(self, found: _Findings) -> None:
        taken = [(f.start, f.end) for f in found.findings if f.check == Check.health_claim]
        for span, index in found.hits.patterns():
            spec = self._patterns[index].spec
            family = FAMILY_LABELS.get(spec.family, spec.family)
            message = f"{_EXCERPT_Q}是需要核实的健康宣称（{family}）。{spec.message}"
            _report_in_context(
                found, span, spec.family, spec.severity, message, ref=spec.ref, taken=taken
            )

    def _report_rumors(self, found: _Findings) -> None:
        for index, span in found.hits.rumors().items():
            rumor = self._rumors[index]
            source = f"（来源：{rumor.source}）" if rumor.source else ""
            refuted = found.hits.refuted(span, own=self._rumor_claims[index])
            found.flagged(
                span, Check.rumor, refuted or found.hits.contradicted(span, index),
                f"与已知谣言「{rumor.claim}」相符。经核实：{rumor.truth}{source}"
                "请删除或改正这部分内容；如果是在辟谣，请写明真相。",
                f"这里提到了已知谣言「{rumor.claim}」，看起来是在辟谣。请确认写清了真相："
                f"{rumor.truth}{source}",
                rumor.ref,
            )  # fmt: skip


class _Findings:
    """The findings of one field as they are found, their spans mapped back to its source."""

    def __init__(
        self, name: str, text: str, visible: Visible, hits: FieldHits, version: int | None
    ) -> None:
        self.hits = hits
        self.findings: list[Finding] = []
        self._name = name
        self._text = text
        self._visible = visible
        self._version = version

    def add(
        self,
        vis: _Span,
        check: Check,
        severity: Severity,
        message: str,
        category: str | None = None,
        ref: str | None = None,
    ) -> None:
        start, end = self._visible.source_span(*vis)
        excerpt = self._text[start:end]
        message = message.replace(_EXCERPT, excerpt)
        self.findings.append(
            Finding(check, severity, self._name, start, end, excerpt, message, category, ref,
                    self._version)
        )  # fmt: skip

    def source_span(self, vis: _Span) -> _Span:
        return self._visible.source_span(*vis)

    @property
    def visible_text(self) -> str:
        return self._visible.text

    def flagged(self, span: _Span, check: Check, refuted: bool, message: str, hint: str,
                ref: str | None = None, category: str | None = None) -> None:  # fmt: skip
        """A claim or a rumor: a warning, or only the hint where it is being refuted."""
        vis = self.hits.visible_span(*span)
        if refuted:
            self.add(vis, check, Severity.info, hint, category=category, ref=ref)
        else:
            self.add(vis, check, Severity.warn, message, category=category, ref=ref)


def _report_claims(found: _Findings) -> None:
    for span, kind_of in found.hits.claims():
        if kind_of.in_context:
            _report_in_context(found, span, kind_of.name, Severity.warn, _claim_message(kind_of))
            continue
        hint = _EXCERPT_Q + "是绝对化的健康宣称，这里看起来是在批驳它；请确认上下文写清了事实"
        refuted = found.hits.refuted(span)
        found.flagged(
            span, Check.health_claim, refuted, _claim_message(kind_of), hint, category=kind_of.name
        )


def _report_in_context(
    found: _Findings, span: _Span, family: str, severity: Severity, message: str,
    ref: str | None = None, taken: list[_Span] | None = None,
) -> None:  # fmt: skip
    """A claim read in its sentence: nothing where the text advises against it or states a fact,
    a hint where it reports or refutes it, else a finding of the family's severity. `taken`: the
    source spans of claims already reported, which a pattern's match overlapping one repeats."""
    vis = found.hits.visible_span(*span)
    if taken is not None:
        src = found.source_span(vis)
        if any(a < src[1] and src[0] < b for a, b in taken):
            return
        taken.append(src)
    reading = read_claim(family, found.visible_text, *vis, found.hits.norm[span[0] : span[1]])
    if reading is Reading.not_a_claim:
        return
    if reading is Reading.reported:
        hint = (
            _EXCERPT_Q + "是危害健康的说法，这里看起来是在转述或批驳它，不是在宣扬；"
            "请确认上下文写清了事实"
        )
        found.add(vis, Check.health_claim, Severity.info, hint, category=family, ref=ref)
        return
    found.add(vis, Check.health_claim, severity, message, category=family, ref=ref)


def _add_patterns(keys: _Keys, claims: Iterable[ClaimSpec]) -> list[CompiledPattern]:
    """Compile the operators' claim patterns and add the words each is found by. A pattern that
    no longer compiles (stored under older rules) is left out, and logged."""
    compiled: list[CompiledPattern] = []
    for spec in claims:
        try:
            pattern = compile_pattern(spec)
        except Invalid as exc:
            log.warning("claim pattern %r left out: %s", spec.pattern, exc.message)
            continue
        compiled.append(pattern)
        for anchor in pattern.anchors:
            keys.add(anchor, ANCHOR, len(compiled))
    return compiled


def _references_missing(version: int | None) -> Finding:
    return Finding(
        check=Check.references,
        severity=Severity.info,
        field="references",
        start=0,
        end=0,
        excerpt="",
        message="文中有科学性陈述（如「研究表明」、百分比数据），但没有列出参考文献，请补充来源",
        dictionary_version=version,
    )


def _claim_message(kind: ClaimKind) -> str:
    return _EXCERPT_Q + "是绝对化或夸大的健康宣称。" + kind.advice


class _Keys:
    """The keys of the two passes, each with what it stands for: (kind, index) entries."""

    def __init__(self) -> None:
        self.han: dict[str, list[tuple[int, int]]] = {}
        self.mixed: dict[str, list[tuple[int, int]]] = {}

    def add(self, key: str, kind: int, index: int) -> None:
        # Keys of Chinese characters only are matched in the Chinese projection of a text,
        # where nothing of another script can stand between their characters; the others
        # (Falun Gong, HPV, 5G) in the full normalised text.
        if key:
            keys = self.han if HAN_RE.fullmatch(key) else self.mixed
            keys.setdefault(key, []).append((kind, index))


def _add_terms(keys: _Keys, terms: Iterable[TermSpec]) -> list[TermSpec]:
    """Add the dictionary's terms, with their homophone and pinyin spellings where asked for;
    returns the terms by index."""
    # The same term can reach the dictionary twice (traditional and simplified, or with and
    # without a space); it is one term and reported once, with its most severe entry.
    by_key: dict[str, TermSpec] = {}
    for spec in terms:
        key = normalize(spec.term)
        kept = by_key.get(key)
        if key and (kept is None or SEVERITY_RANK[spec.severity] > SEVERITY_RANK[kept.severity]):
            by_key[key] = spec
    for index, (key, spec) in enumerate(by_key.items()):
        keys.add(key, TERM, index)
        if spec.pinyin and HAN_RE.fullmatch(key) and len(key) >= 3:
            for spelling in homophone_spellings(key):
                keys.add(spelling, HOMOPHONE, index)
            for spelt in pinyin_keys(key):
                if len(spelt) >= _MIN_PINYIN_LETTERS:
                    keys.add(spelt, HOMOPHONE, index)
    return list(by_key.values())


def _add_cues(keys: _Keys, allow: Iterable[str]) -> list[str]:
    """Add the built-in words: allowed phrases, claim anchors, science markers, refuting and
    negation cues; returns the negation cues, normalised, by index."""
    for index, phrase in enumerate(allow):
        keys.add(normalize(phrase), ALLOW, index)
    for claim in CODE_CLAIMS:
        for word in claim.anchor_words:
            keys.add(normalize(word), ANCHOR, 0)
    for index, claim in enumerate(HEALTH_CLAIMS):
        for word in claim.anchor_words:
            keys.add(normalize(word), ANCHOR, -1 - index)
    for index, marker in enumerate(SCIENCE_MARKERS):
        keys.add(normalize(marker), SCIENCE, index)
    for index, cue in enumerate(REFUTING_CUES):
        keys.add(normalize(cue), REFUTE, index)
    negations = [normalize(cue) for cue in NEGATION_CUES]
    for index, cue in enumerate(negations):
        keys.add(cue, NEGATE, index)
    return negations


@dataclass
class _Library:
    """The rumor library's keyword tables (see `Tables`)."""

    rumor_need: list[int] = field(default_factory=list)
    rumor_groups: list[list[set[int]]] = field(default_factory=list)
    keyword_groups: list[list[tuple[int, int]]] = field(default_factory=list)
    denials: list[re.Pattern[str] | None] = field(default_factory=list)
    truths: list[re.Pattern[str] | None] = field(default_factory=list)


def _add_rumors(keys: _Keys, rumors: list[RumorSpec], claims: list[str]) -> _Library:
    """Add each rumor's claim and keywords (a keyword shared by rumors is one key); note the
    denials of its claim and the words of its truth."""
    library = _Library()
    keyword_ids: dict[str, int] = {}
    for index, rumor in enumerate(rumors):
        keys.add(claims[index], CLAIM, index)
        groups, need = required_groups(rumor)
        own = [normalize(w) for w in (*(a for g in groups for a in g), *meaning_words(rumor.claim))]
        own = [w for w in own if w]
        denial = denial_re(own) if own else None
        # A claim that is itself a denial (鸡蛋和豆浆不能一起吃) cannot be denied this way.
        library.denials.append(None if denial is None or denial.search(claims[index]) else denial)
        truth = sorted({normalize(w) for w in truth_words(rumor.truth, own)} - {""}, key=len)
        library.truths.append(
            re.compile("|".join(map(re.escape, reversed(truth)))) if truth else None
        )
        library.rumor_need.append(need)
        library.rumor_groups.append([set() for _ in groups])
        for group_no, group in enumerate(groups):
            for word in group:
                key = normalize(word)
                if not key:
                    continue
                if key not in keyword_ids:
                    keyword_ids[key] = len(keyword_ids)
                    library.keyword_groups.append([])
                    keys.add(key, KEYWORD, keyword_ids[key])
                library.keyword_groups[keyword_ids[key]].append((index, group_no))
                library.rumor_groups[index][group_no].add(keyword_ids[key])
    return library
