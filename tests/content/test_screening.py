"""Unit tests of the screening engine: matching, offsets into the original text, built-in checks."""

import pytest

from content.screening import (
    DEFAULT_TERMS,
    Finding,
    RumorSpec,
    Screener,
    TermSpec,
    blocking,
    normalize,
)

FALUN = TermSpec("法轮功", "political", "block")
GARLIC = RumorSpec(
    claim="吃大蒜能预防新冠",
    keywords=["大蒜", "新冠"],
    truth="大蒜没有预防新冠病毒感染的作用",
)


def only(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


def test_traditional_variant_is_found_with_offsets_into_the_original() -> None:
    body = "有人在宣扬法輪功的教义"
    [finding] = Screener([FALUN]).scan({"body": body})
    assert (finding.check, finding.severity, finding.category) == (
        "dictionary",
        "block",
        "political",
    )
    assert (finding.start, finding.end, finding.excerpt) == (5, 8, "法輪功")


def test_separators_inserted_between_characters_are_ignored() -> None:
    body = "看这里：法*轮-功，还有 法 · 轮 | 功。"
    findings = Screener([FALUN]).scan({"body": body})
    assert [f.excerpt for f in findings] == ["法*轮-功", "法 · 轮 | 功"]


def test_zero_width_characters_are_ignored() -> None:
    body = "法\u200b轮\u200d功"
    [finding] = Screener([FALUN]).scan({"body": body})
    assert (finding.start, finding.end) == (0, 5)


def test_full_width_latin_matches_case_insensitively() -> None:
    body = "关于ＦＡＬＵＮ－ｇｏｎｇ的报道"
    [finding] = Screener([TermSpec("Falun Gong", "political", "block")]).scan({"body": body})
    assert finding.excerpt == "ＦＡＬＵＮ－ｇｏｎｇ"


def test_excerpt_is_the_original_slice_around_expanding_characters() -> None:
    # "㍿" folds to four characters and "ß" to two: positions after them must still be right.
    body = "㍿ß，法 輪*功ß㍿"
    [finding] = Screener([FALUN]).scan({"body": body})
    assert body[finding.start : finding.end] == finding.excerpt == "法 輪*功"


def test_term_inside_an_expanding_character_points_at_that_character() -> None:
    body = "某某㍿出品"
    [finding] = Screener([TermSpec("会社", "fraud", "info")]).scan({"body": body})
    assert (finding.start, finding.end, finding.excerpt) == (2, 3, "㍿")


def test_terms_are_normalised_like_the_text() -> None:
    [finding] = Screener([TermSpec("法輪 功", "political", "block")]).scan({"title": "法轮功"})
    assert finding.excerpt == "法轮功"


def test_health_claim_is_a_warning() -> None:
    body = "这种茶能根治糖尿病，100%有效"
    findings = Screener([]).scan({"body": body})
    assert [(f.check, f.severity, f.excerpt) for f in findings] == [
        ("health_claim", "warn", "根治"),
        ("health_claim", "warn", "100%有效"),
    ]


def test_rumor_matches_when_all_keywords_occur_and_message_gives_the_truth() -> None:
    body = "听说新冠流行时，每天吃三瓣大蒜就没事"
    [finding] = only(Screener([], [GARLIC]).scan({"body": body}), "rumor")
    assert finding.severity == "warn"
    assert GARLIC.truth in finding.message
    assert finding.excerpt == "新冠流行时，每天吃三瓣大蒜"


def test_rumor_matches_its_claim_text() -> None:
    body = "网传：吃大蒜能预防新冠！"
    [finding] = only(Screener([], [GARLIC]).scan({"body": body}), "rumor")
    assert finding.excerpt == "吃大蒜能预防新冠"


def test_rumor_does_not_match_on_some_of_its_keywords() -> None:
    body = "大蒜是常见的调味品"
    assert only(Screener([], [GARLIC]).scan({"body": body}), "rumor") == []


def test_science_claim_without_references_gets_one_info_finding() -> None:
    fields = {"title": "研究表明，喝水有益", "body": "数据显示，多数人喝水不足", "references": ""}
    [finding] = Screener([]).scan(fields)
    assert finding.as_dict() == {
        "check": "references",
        "severity": "info",
        "field": "references",
        "start": 0,
        "end": 0,
        "excerpt": "",
        "message": finding.message,
    }


def test_percentage_counts_as_a_science_claim() -> None:
    findings = Screener([]).scan({"body": "约有３０％的人缺乏维生素D"}, has_references=False)
    assert [f.check for f in findings] == ["references"]


def test_science_claim_with_references_gets_no_finding() -> None:
    fields = {"body": "研究表明，喝水有益", "references": "[1] 某期刊, 2020"}
    assert Screener([]).scan(fields) == []


def test_references_are_not_checked_without_a_references_field() -> None:
    assert Screener([]).scan({"comment": "研究表明这个视频很好"}) == []


def test_clean_text_has_no_findings() -> None:
    fields = {
        "title": "为什么天空是蓝色的？",
        "body": "阳光穿过大气层时，波长较短的蓝光更容易被空气分子散射。",
        "references": "Rayleigh, 1871",
    }
    assert Screener(DEFAULT_TERMS).scan(fields) == []


def test_allowed_phrase_hides_a_term_that_straddles_a_word_boundary() -> None:
    body = "新疆独特的地貌，平台独家发布"
    assert Screener(DEFAULT_TERMS).scan({"body": body}) == []


def test_blocking_is_true_only_with_a_block_finding() -> None:
    screener = Screener(DEFAULT_TERMS)
    assert blocking(screener.scan({"body": "宣扬法轮功"}))
    assert not blocking(screener.scan({"body": "祖传秘方"}))


def test_blocking_accepts_stored_findings() -> None:
    stored = [f.as_dict() for f in Screener([FALUN]).scan({"body": "法轮功"})]
    assert blocking(stored)


def test_overlapping_terms_are_all_reported() -> None:
    terms = [FALUN, TermSpec("法轮大法", "political", "block"), TermSpec("轮功", "x", "info")]
    findings = Screener(terms).scan({"body": "法轮功与法轮大法"})
    assert [(f.start, f.end) for f in findings] == [(0, 3), (1, 3), (4, 8)]


def test_a_term_listed_twice_is_reported_once_with_its_most_severe_entry() -> None:
    terms = [TermSpec("法輪功", "political", "warn"), FALUN]
    [finding] = Screener(terms).scan({"body": "法轮功"})
    assert finding.severity == "block"


def test_empty_dictionary_reports_no_dictionary_terms() -> None:
    assert Screener([]).scan({"title": "法轮功", "body": "普通的科普文章"}) == []


def test_findings_are_sorted_by_field_order_then_position() -> None:
    fields = {"title": "台独与法轮功", "body": "法轮功"}
    findings = Screener(DEFAULT_TERMS).scan(fields)
    assert [(f.field, f.start) for f in findings] == [("title", 0), ("title", 3), ("body", 0)]


def test_term_with_an_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="severity"):
        TermSpec("某词", "fraud", "severe")


def test_term_made_only_of_symbols_normalises_to_nothing() -> None:
    assert normalize("*-·| ！") == ""
