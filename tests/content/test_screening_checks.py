"""Scientific-accuracy checks: absolute claims as patterns, rumors by their meaning-bearing words,
debunking texts told apart from spreading, and what every finding carries."""

import pytest

from content.screening import (
    DEFAULT_RUMORS,
    DEFAULT_TERMS,
    Finding,
    RumorSpec,
    Screener,
    meaning_words,
    required_groups,
)

GARLIC = RumorSpec(
    claim="吃大蒜能预防新冠",
    keywords=["大蒜", "新冠|新型冠状病毒"],
    truth="没有证据表明吃大蒜能预防新冠病毒感染。",
    source="世界卫生组织",
    ref="rumor-1",
)


def of(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("纯中药配方，无任何副作用。", "无任何副作用"),
        ("本产品零风险，孕妇儿童都能用。", "零风险"),
        ("这是目前世界上最好的降糖药。", "世界上最好的降糖药"),
        ("疗效全国第一，医生都在推荐。", "全国第一"),
        ("临床验证有效率100%。", "有效率100"),
        ("对各种癌症都有效。", "对各种癌症都有效"),
        ("吃一周就能瘦十斤，永不反弹。", "永不反弹"),
        ("抗癌效果是化疗的10倍。", "效果是化疗的10倍"),
    ],
)
def test_absolute_claims_are_found_in_their_many_phrasings(text: str, excerpt: str) -> None:
    [claim] = of(Screener([]).scan({"body": text}), "health_claim")
    assert claim.severity == "warn"
    assert claim.excerpt == excerpt
    assert claim.message.startswith(f"「{excerpt}」") and "请" in claim.message


@pytest.mark.parametrize(
    "text",
    [
        "目前高血压无法根治，但按时服药可以控制得很好。",
        "任何药物都有副作用，没有零风险的药。",
        "勤洗手是预防传染病最有效的方法之一。",
        "发生火灾时，第一时间拨打119。",
        "我国第一颗人造卫星东方红一号于1970年发射。",
        "疫苗不能保证百分之百不感染。",
        "全国第一批5G基站于2019年开通。",
    ],
)
def test_denied_or_ordinary_uses_of_absolute_words_are_not_claims(text: str) -> None:
    assert of(Screener([]).scan({"body": text}), "health_claim") == []


def test_a_rumor_is_recognised_by_its_meaning_words_in_any_phrasing() -> None:
    body = "多吃大蒜可以有效抵抗新型冠状病毒，大家赶快转发。"
    [rumor] = of(Screener([], [GARLIC], version=7).scan({"body": body}), "rumor")
    assert rumor.severity == "warn"
    assert rumor.excerpt == "大蒜可以有效抵抗新型冠状病毒"
    assert GARLIC.truth in rumor.message and "世界卫生组织" in rumor.message
    assert (rumor.ref, rumor.dictionary_version) == ("rumor-1", 7)


def test_keywords_far_apart_are_not_a_rumor() -> None:
    body = (
        "大蒜是常见的调味品。" + "今天天气很好，适合出门散步。" * 10 + "新冠疫苗可以降低重症风险。"
    )
    assert of(Screener([], [GARLIC]).scan({"body": body}), "rumor") == []


def test_a_debunking_text_gets_an_info_hint_pointing_at_the_library_entry() -> None:
    body = "吃大蒜能预防新冠吗？这是谣言，没有证据表明吃大蒜可以预防新冠病毒感染。"
    [rumor] = of(Screener([], [GARLIC]).scan({"body": body}), "rumor")
    assert (rumor.severity, rumor.ref) == ("info", "rumor-1")
    assert "辟谣" in rumor.message


def test_a_refuting_title_does_not_excuse_a_rumor_spread_in_the_body() -> None:
    # A spreader's trick: a debunking-sounding title over a body that states the rumor as fact.
    library = Screener([], [RumorSpec(c, k, t, s) for _, c, k, t, s in DEFAULT_RUMORS])
    for title in ("真相：隔夜菜到底能不能吃", "科学辟谣：关于剩菜"):
        fields = {"title": title, "body": "隔夜菜会产生大量亚硝酸盐，吃了会致癌，快转给家人！"}
        [rumor] = of(library.scan(fields), "rumor")
        assert (rumor.field, rumor.severity) == ("body", "warn"), title
        assert rumor.excerpt.startswith("隔夜菜")


def test_a_title_that_spreads_a_rumor_under_the_word_truth_is_warned() -> None:
    [rumor] = of(Screener([], [GARLIC]).scan({"title": "真相：吃大蒜能预防新冠"}), "rumor")
    assert rumor.severity == "warn"


def test_a_debunk_refuting_next_to_each_statement_of_the_rumor_gets_hints_only() -> None:
    fields = {"title": "科学辟谣：大蒜与新冠", "body": "网上说多吃大蒜可以预防新冠，这是谣言。"}
    rumors = of(Screener([], [GARLIC]).scan(fields), "rumor")
    assert [(r.field, r.severity) for r in rumors] == [("title", "info"), ("body", "info")]


def test_a_negation_that_is_part_of_the_rumor_does_not_make_it_a_debunk() -> None:
    rumor = RumorSpec("鸡蛋和豆浆不能一起吃", ["鸡蛋", "豆浆"], "可以一起吃。")
    [found] = of(
        Screener([], [rumor]).scan({"body": "鸡蛋和豆浆不能一起吃，会影响吸收。"}), "rumor"
    )
    assert found.severity == "warn"


def test_a_rumor_without_keywords_is_recognised_by_the_words_of_its_claim() -> None:
    rumor = RumorSpec("隔夜菜会致癌", [], "冷藏得当的隔夜菜不会致癌。")
    groups, need = required_groups(rumor)
    assert {w for g in groups for w in g} >= {"致癌"} and need >= 2
    found = of(Screener([], [rumor]).scan({"body": "专家说隔夜的菜会致癌吗？吃了致癌"}), "rumor")
    assert meaning_words("吃大蒜能预防新冠") == ["大蒜", "预防", "新冠"]
    assert found == [] or found[0].severity in {"warn", "info"}


def test_the_default_library_is_large_sourced_and_covers_every_topic() -> None:
    assert len(DEFAULT_RUMORS) >= 50
    assert {topic for topic, *_ in DEFAULT_RUMORS} >= {
        "food", "health", "radiation", "vaccine", "emergency",
    }  # fmt: skip
    for _, claim, keywords, truth, source in DEFAULT_RUMORS:
        assert claim and truth and source and len(keywords) >= 2
        assert not any("\x00" in s for s in (claim, truth, source, *keywords))


def test_every_finding_names_its_dictionary_version_and_a_plain_chinese_message() -> None:
    screener = Screener([], [GARLIC], version=42)
    findings = screener.scan(
        {"title": "研究表明", "body": "吃大蒜能预防新冠，零风险"}, has_references=False
    )
    assert {f.check for f in findings} == {"rumor", "health_claim", "references"}
    for finding in findings:
        assert finding.dictionary_version == 42
        assert finding.as_dict()["dictionary_version"] == 42
        assert any("\u4e00" <= c <= "\u9fff" for c in finding.message)


def test_the_default_library_passes_the_checks_an_operator_entry_gets() -> None:
    from content.screening.dictionary import validate_rumor

    for _, claim, keywords, truth, source in DEFAULT_RUMORS:
        assert validate_rumor(claim, truth, list(keywords), source)[0] == claim


# --- a denial of being a rumor is no debunk; plain words that contradict it are ------

LIBRARY = Screener(DEFAULT_TERMS, [RumorSpec(c, k, t, s) for _, c, k, t, s in DEFAULT_RUMORS])


def rumor_severities(body: str) -> list[str]:
    return [f.severity for f in LIBRARY.scan({"body": body}) if f.check == "rumor"]


def test_a_rumor_vouched_for_as_no_rumor_stays_a_warning() -> None:
    for body in (
        "隔夜菜会致癌，这绝对不是谣言！",
        "隔夜菜会致癌，并非谣言，赶紧转发",
        "隔夜菜会致癌，可不是什么误区",
        "吃了隔夜菜会致癌，别信所谓的辟谣！",
    ):
        assert rumor_severities(body) == ["warn"], body


def test_a_rumor_contradicted_in_plain_words_is_only_a_hint() -> None:
    for body in (
        "研究发现，隔夜菜与癌症之间没有关联。",  # no link found
        "大规模研究未发现HPV疫苗与不孕有关联。",
        "隔夜菜冷藏后热透，是可以放心吃的，不用为致癌担心。",  # safe to eat once …
        "吃大蒜不能预防新冠。",  # the claim negated
        "接种HPV疫苗不会导致不孕。",
        "喝骨头汤补钙效果很差，汤里的钙含量极低，补钙应多喝牛奶。",  # its truth restated
        "隔夜菜致癌？及时冷藏、吃前热透的隔夜菜，亚硝酸盐含量远低于危害健康的水平。",
    ):
        assert rumor_severities(body) == ["info"], body


def test_a_rumor_spread_near_safe_sounding_or_negated_words_stays_a_warning() -> None:
    for body in (
        "隔夜菜不能吃，会致癌，为了家人安全千万别吃",
        "吃虾的时候不能吃维生素C，会产生砒霜",
        "微波炉加热的饭菜有辐射，长期吃会得癌症，别再放心吃了",
        "双黄连口服液可以抑制新冠病毒，药店都卖断货了，赶紧抢购",
    ):
        assert rumor_severities(body) == ["warn"], body
