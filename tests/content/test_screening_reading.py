"""Screening reads what viewers read, sees through separators, pinyin and homophones, and leaves
prose alone: offsets always point into the source the creator edits."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content.errors import Invalid
from content.kit import clean_text, render, visible_text
from content.screening import DEFAULT_TERMS, Finding, Screener, TermSpec

FALUN = TermSpec("法轮功", "political", "block", pinyin=True)
ALMIGHTY = TermSpec("全能神", "political", "block", pinyin=True)
TAIDU = TermSpec("台独", "political", "block")


def terms_in(body: str, *terms: TermSpec, field: str = "body") -> list[Finding]:
    found = Screener(terms or (FALUN,)).scan({field: body})
    return [f for f in found if f.check == "dictionary"]


def test_entities_tags_comments_and_split_links_do_not_hide_a_term() -> None:
    for body in (
        "介绍&#27861;&#36718;&#21151;。",
        "法<span>轮</span>功",
        "[法轮](https://a.example/1)[功](https://a.example/2)的传单",
        "法<!-- 注释 -->轮功",
        "[法](https://x.example)&#36718;<em>功</em>",
    ):
        [finding] = terms_in(body)
        # The excerpt is the source the creator wrote, from the first character to the last.
        assert body[finding.start : finding.end] == finding.excerpt
        assert finding.excerpt.startswith(("法", "&#27861;")) and finding.excerpt.endswith(
            ("功", "&#21151;", "功</em>")
        )


def test_what_the_sanitiser_drops_is_neither_screened_nor_served() -> None:
    for body in (
        "<script>法轮功</script>正文",
        "正文<!-- 法轮功 -->",
        '<span title="法轮功">正文</span>',
        "<style>法轮功</style>正文",
        "<template>法轮功</template>正文",
        '<table><tr><td align="法轮功">正文</td></tr></table>',
    ):
        assert terms_in(body) == [], body
        assert "法轮功" not in render(body), body


def test_visible_text_is_the_text_of_what_the_renderer_shows() -> None:
    source = "**提示**：请在[官方网站](https://www.example.cn)预约，H<sub>2</sub>O &amp; 水。"
    shown = visible_text(source).text
    rendered = render(source)
    for word in ("提示", "官方网站", "预约", "H2O", "& 水"):
        assert word in shown
    assert "example.cn" not in shown and "example.cn" in rendered


def test_filler_of_another_script_between_characters_does_not_hide_a_term() -> None:
    for body in ("学习法a轮b功", "法😀轮😀功", "法1轮2功", "法Ⓐ轮Ⓑ功", "法¹轮²功", "法ABC轮DEF功"):
        [finding] = terms_in(body)
        assert finding.severity == "block" and finding.excerpt[0] == "法"
        assert finding.excerpt[-1] == "功"
    [flag] = terms_in("支持台🇹🇼独", TAIDU)
    assert flag.excerpt == "台🇹🇼独"


def test_clause_punctuation_between_two_words_does_not_make_a_term() -> None:
    assert terms_in("他是一位全能，神一般的运动员", ALMIGHTY) == []
    assert terms_in("全能、神速、精准", ALMIGHTY) == []
    assert terms_in("他站在舞台，独自唱完了整首歌", TAIDU) == []
    assert terms_in("他被称为“全能”神童", ALMIGHTY) == []


def test_punctuation_between_every_character_is_an_evasion() -> None:
    [finding] = terms_in("法，轮，功，好")
    assert finding.excerpt == "法，轮，功"
    [finding] = terms_in("法(轮)功的书")
    assert finding.excerpt == "法(轮)功"


def test_pinyin_and_homophones_of_a_marked_term_are_found_but_only_warn() -> None:
    for body, excerpt in (
        ("大家都来学falungong吧", "falungong"),
        ("fa lun gong is good", "fa lun gong"),
        ("发轮功的师父说了", "发轮功"),
        ("珐仑功的传单", "珐仑功"),
    ):
        [finding] = terms_in(body)
        assert (finding.excerpt, finding.severity) == (excerpt, "warn")
        assert "谐音" in finding.message
    # Unmarked terms are matched as written only.
    assert terms_in("发轮功", TermSpec("法轮功", "political", "block")) == []


def test_an_innocent_phrase_holding_a_short_term_is_not_flagged() -> None:
    for body in (
        "新疆独特的气候",
        "平台独家发布",
        "西藏独有的植物",
        "后台独立运行",
        "香港独资企业",
    ):
        assert terms_in(body, *DEFAULT_TERMS) == [], body


def test_a_body_of_100_000_separators_is_screened_quickly_and_finds_nothing() -> None:
    screener = Screener(DEFAULT_TERMS)
    for body in ("*" * 100_000, "\u200b" * 100_000, "，" * 100_000, "[" * 100_000, "&" * 100_000):
        started = time.perf_counter()
        assert screener.scan({"body": body}) == []
        assert time.perf_counter() - started < 10.0  # linear, not quadratic
    # Two characters of a term 100 000 separators apart are two words, not one term.
    assert terms_in("法" + "*" * 100_000 + "轮功") == []


def test_terms_made_of_punctuation_only_are_ignored() -> None:
    screener = Screener([TermSpec("！！！", "x", "block"), TermSpec("···", "x", "block"), FALUN])
    assert [f.excerpt for f in screener.scan({"title": "好！！！法轮功···"})] == ["法轮功"]


# --- what the reader sees is what is screened -----------------------------------------

DEFAULTS = Screener(DEFAULT_TERMS)


def test_the_nine_bodies_that_got_through_are_found() -> None:
    for body in (
        "看 `<script>法轮功</script>` 这段",
        "<!-->法轮功-->",
        "<!--->法轮功",
        "<!-- 注释 --!>法轮功",
        "<textarea>法轮功</textarea>",
        "<b 法轮功…>",
        "[法轮功][没有定义]",
        "![法轮功](https://x.example/a.png) 一张图",
        '[链接](https://x.example "法轮功")',
    ):
        [finding] = [f for f in DEFAULTS.scan({"body": body}) if f.severity == "block"]
        assert "法轮功" in finding.excerpt, body
        assert body[finding.start : finding.end] == finding.excerpt


def test_any_number_of_invisible_characters_inside_a_term_hides_nothing() -> None:
    for run in ("\u200b" * 13, "\u202e\u2066" * 20, "\u2060\ufeff\u00ad" * 50):
        for field in ("title", "body"):
            [finding] = terms_in(f"学法{run}轮{run}功", field=field)
            assert finding.excerpt == f"法{run}轮{run}功"


def test_zero_width_characters_inside_a_latin_term_hide_nothing() -> None:
    # Fails if the invisible characters are not removed before matching (a
    # run longer than the gap limit then reads as two words).
    falun = TermSpec("Falun Gong", "political", "block")
    for text in (
        "Falun\u200bGong",
        "Fa\u200blun" + "\u200b" * 20 + " Gong",
        "F\u200ca\u200dlun Gong",
    ):
        for field in ("title", "summary", "body"):
            [finding] = terms_in(f"join {text} now", falun, field=field)
            assert finding.severity == "block" and finding.excerpt == text, (field, text)


def test_punctuation_line_breaks_and_ellipses_inside_a_term_hide_nothing() -> None:
    for body in (
        "法轮\n功",
        "法轮\r\n功",
        "法()轮功",
        "法「」轮功",
        "法…轮功",
        "法……轮功",
        "法【】轮功",
    ):
        for field in ("title", "body"):
            [finding] = terms_in(body, field=field)
            assert finding.excerpt == body
    # A paragraph's end or a clause's punctuation between two words is still prose.
    assert terms_in("第一段写到全能\n\n神经科学是第二段", ALMIGHTY) == []
    assert terms_in("他是一位全能，神一般的运动员", ALMIGHTY) == []


def test_variant_characters_and_tone_mark_pinyin_fold() -> None:
    [finding] = terms_in("灋轮功的传单")
    assert finding.excerpt == "灋轮功"
    for body in ("fǎ lún gōng", "FǍ LÚN GŌNG", "fǎlúngōng"):
        [finding] = terms_in(f"来学 {body} 吧")
        assert (finding.excerpt, finding.severity) == (body, "warn")


def test_an_innocent_phrase_excuses_a_term_only_when_written_as_one_word() -> None:
    assert terms_in("新疆独特的气候", *DEFAULT_TERMS) == []
    [finding] = terms_in("去看 `台独`", *DEFAULT_TERMS)
    assert finding.excerpt == "台独"


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.text(st.sampled_from(list("法轮功ab5G。，、 \n\n\u200b\u3000\t1.-#*[<&")), max_size=30))
def test_a_body_without_markup_reads_as_its_rendering_does(text: str) -> None:
    from content.kit import markdown  # the two readings are private; this checks they agree

    if markdown._MARKUP_RE.search(text) is not None:
        return
    fast, rendered = markdown._paragraphs(text), markdown._rendered(text)
    assert fast.text == rendered.text
    for i, char in enumerate(fast.text):
        if not char.isspace():
            assert fast.source_span(i, i + 1) == rendered.source_span(i, i + 1)


def test_invisible_and_bidirectional_characters_are_not_stored() -> None:
    title = "科\u202e普\u2066知\u200b识\u2069"
    assert clean_text(title, "title", 100, required=True) == "科普知识"
    with pytest.raises(Invalid):
        clean_text("\u202e\u200b\u034f", "summary", 100, required=False)
