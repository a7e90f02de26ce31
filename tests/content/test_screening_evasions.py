"""Evasions as a generator: every term and every rumor of the shipped data, disguised by each
transform and wrapped in each kind of markup that the sanitised body still shows, goes through the
machine stage's own path (`screen_revision`: the body rendered, then screened) and is found."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser
from importlib.metadata import distribution
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from content.kit import render
from content.models import Revision
from content.screening import (
    DEFAULT_RUMORS,
    DEFAULT_TERMS,
    Finding,
    RumorSpec,
    Screener,
    TermSpec,
    normalize,
    screen_revision,
)

RUMORS = [RumorSpec(c, k, t, s) for _, c, k, t, s in DEFAULT_RUMORS]
SCREENER = Screener(DEFAULT_TERMS, RUMORS)
# Deterministic for CI, and bounded: each term or rumor is tried in this many disguises.
FEW = settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Bidirectional controls and other Default_Ignorable code points: nothing a reader sees.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u180e\ufe0f\u202a\u202b\u202c\u202d\u202e"
INVISIBLE += "\u2066\u2067\u2068\u2069\u061c\U000e0001\U000e0020"


def revision(body: str, title: str = "科普") -> Revision:
    return Revision(content_id="c", number=1, title=title, summary="", body=body, references=[])


# --- markup the sanitised body shows: the term stays visible to a reader in each ---------------

WRAPPERS: dict[str, Callable[[str], str]] = {
    "plain": lambda x: x,
    "in a sentence": lambda x: f"大家好，{x}，谢谢。",
    "script in a code span": lambda x: f"看 `<script>{x}</script>` 这段",
    "after an empty comment": lambda x: f"<!-->{x}-->",
    "after a comment closed badly": lambda x: f"<!-- 注释 --!>{x}",
    "after a short comment": lambda x: f"<!--->{x}",
    "textarea": lambda x: f"<textarea>{x}</textarea>",
    "a tag's attribute text": lambda x: f"<b {x}…>",
    "reference link without a definition": lambda x: f"[{x}][未定义]",
    "reference definition that is none": lambda x: f"[{x}]:",
    "image alt text": lambda x: f"![{x}](https://x.example/a.png)",
    "link title": lambda x: f'[链接](https://x.example "{x}")',
    "emphasis split": lambda x: f"**{x[:1]}**{x[1:]}",
}


BLOCKS = {"p", "li", "ul", "ol", "pre", "blockquote", "table", "tr", "td", "th", "h1", "h2"}


class _Reader(HTMLParser):
    """What a reader of the served HTML sees, block by block, read by the standard library."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = [""]

    def handle_data(self, data: str) -> None:
        self.blocks[-1] += data

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.blocks += [v or "" for k, v in attrs if k in ("alt", "title")]
        if tag in BLOCKS or any(k in ("alt", "title") for k, _ in attrs):
            self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self.blocks.append("")


def shown(body: str, x: str) -> None:
    """The disguised text is in what the reader gets, in one paragraph: markup that ends a
    paragraph inside it (a comment's line, say) puts its halves in two, where a term is prose
    unless broken between every two of its characters (docs/screening.md)."""
    reader = _Reader()
    reader.feed(render(body))
    seen = [normalize(block) for block in reader.blocks]
    assert normalize(x)[:1] in "".join(seen), body  # the wrapper shows it
    assume(any(normalize(x) in block for block in seen))


# --- disguises --------------------------------------------------------------------------------


@cache
def variants_of() -> dict[str, list[str]]:
    """For each standard character, variant characters that fold to it (灋 for 法), from the same
    table screening reads."""
    path = distribution("char-converter").locate_file("char_converter/data/v2s.msgpack")
    table: dict[str, list[str]] = msgpack.unpackb(Path(str(path)).read_bytes())
    found: dict[str, list[str]] = {}
    for variant, standard in table.items():
        if len(variant) == 1 and normalize(variant) == standard[0] != variant:
            found.setdefault(standard[0], []).append(variant)
    return found


def spread(term: str, gaps: list[str]) -> str:
    return "".join(ch + (gaps[i] if i < len(term) - 1 else "") for i, ch in enumerate(term))


@st.composite
def disguised_term(draw: st.DrawFn, spec: TermSpec) -> str:
    term = spec.term
    chinese = all("\u4e00" <= ch <= "\u9fff" for ch in term)
    kinds = ["invisible", "bidi", "filler", "full width", "case"]
    if chinese:
        kinds += ["line break", "ellipsis", "empty brackets", "variant"]
        if len(term) >= 3:
            kinds.append("clause punctuation everywhere")
        if spec.pinyin:
            kinds.append("tone-mark pinyin")
    kind = draw(st.sampled_from(kinds))
    one_gap = draw(st.integers(0, len(term) - 2)) if len(term) > 1 else 0

    def at_one(gap: str) -> str:
        return spread(term, ["" if i != one_gap else gap for i in range(len(term) - 1)])

    if kind == "invisible":  # any number of them, anywhere: no gap limit applies
        runs = draw(st.lists(st.text(INVISIBLE, max_size=40), min_size=len(term) - 1,
                             max_size=len(term) - 1))  # fmt: skip
        return spread(term, runs)
    if kind == "bidi":  # isolates and overrides around and inside the term
        bidi = st.text("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", max_size=15)
        inner = spread(term, [draw(bidi) for _ in range(len(term) - 1)])
        return draw(bidi) + inner + draw(bidi)
    if kind == "filler":
        filler = draw(st.sampled_from([" ", "·", "*", "-", "😀", "  "]))
        return spread(term, [filler] * (len(term) - 1))
    if kind == "full width":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in term)
    if kind == "case":
        return term.swapcase()
    if kind == "line break":
        return at_one(draw(st.sampled_from(["\n", "\r\n", "\u2028"])))
    if kind == "ellipsis":
        return at_one(draw(st.sampled_from(["…", "……", "⋯", "..."])))
    if kind == "empty brackets":
        return at_one(draw(st.sampled_from(["()", "（）", "「」", "【】", "《》", "“”", "[]"])))
    if kind == "clause punctuation everywhere":
        mark = draw(st.sampled_from(["，", "、", "。", "！", ",", "；"]))
        return spread(term, [mark] * (len(term) - 1))
    if kind == "variant":
        table = variants_of()
        return "".join(draw(st.sampled_from(table[c])) if c in table else c for c in term)
    # tone-mark pinyin: fǎ lún gōng, FǍ LÚN GŌNG, fǎlúngōng
    syllables = lazy_pinyin(term, style=Style.TONE)
    text = draw(st.sampled_from([" ", "", "-"])).join(syllables)
    return text.upper() if draw(st.booleans()) else text


def names(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


@pytest.mark.parametrize("spec", DEFAULT_TERMS, ids=[t.term for t in DEFAULT_TERMS])
@FEW
@given(data=st.data())
def test_every_term_is_found_whatever_the_disguise_and_the_markup(
    spec: TermSpec, data: st.DataObject
) -> None:
    x = data.draw(disguised_term(spec), label="disguised")
    wrap = data.draw(st.sampled_from(sorted(WRAPPERS)), label="wrapper")
    body = WRAPPERS[wrap](x)
    if wrap != "emphasis split":
        shown(body, x)
    findings = names(screen_revision(SCREENER, revision(body)), "dictionary")
    found = [f for f in findings if f"敏感词「{spec.term}」" in f.message and f.field == "body"]
    assert found, (wrap, body)
    for finding in found:
        assert body[finding.start : finding.end] == finding.excerpt != ""


@st.composite
def disguised_rumor(draw: st.DrawFn, rumor: RumorSpec) -> str:
    claim = rumor.claim
    kind = draw(st.sampled_from(["as is", "invisible", "line breaks", "variant", "full width"]))
    if kind == "invisible":
        return "".join(ch + draw(st.text(INVISIBLE, max_size=20)) for ch in claim)
    if kind == "line breaks":
        return "\n".join(claim[i : i + 3] for i in range(0, len(claim), 3))
    if kind == "variant":
        table = variants_of()
        return "".join(draw(st.sampled_from(table[c])) if c in table else c for c in claim)
    if kind == "full width":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in claim)
    return claim


@pytest.mark.parametrize("rumor", RUMORS, ids=[r.claim for r in RUMORS])
@FEW
@given(data=st.data())
def test_every_rumor_spread_is_a_warning_whatever_the_disguise_and_the_markup(
    rumor: RumorSpec, data: st.DataObject
) -> None:
    x = data.draw(disguised_rumor(rumor), label="disguised")
    wrap = data.draw(st.sampled_from(sorted(set(WRAPPERS) - {"emphasis split"})), label="wrapper")
    body = WRAPPERS[wrap](x) + "\n\n转发给家人朋友！"
    rumors = names(screen_revision(SCREENER, revision(body)), "rumor")
    assert any(f.severity == "warn" and rumor.claim in f.message for f in rumors), (wrap, body)


def test_the_generator_covers_every_wrapper_and_its_text_is_what_readers_get() -> None:
    # Each wrapper keeps its text in the served HTML (or it would test nothing) …
    for name, wrap in WRAPPERS.items():
        if name != "emphasis split":
            reader = _Reader()
            reader.feed(render(wrap("法轮功")))
            assert any("法轮功" in block for block in reader.blocks), name
    # … and the table of variants the generator draws from holds the example.
    assert "灋" in variants_of()["法"]
    assert unicodedata.category("\u202e") == "Cf"
