"""Claims that endanger health, read in their sentence, and operators' claim patterns: what a
reviewer is shown (the family, a Chinese message, offsets into the field), what is not a claim
(advice against stopping medicine, a doctor's guidance, hedged or sourced statements), what only
gets a hint (debunks and reports), and the pattern language."""

from __future__ import annotations

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from content import screening
from content.models import Severity
from content.screening import Check, ClaimSpec, Finding, Screener
from tests.helpers import refused


def claims(findings: list[Finding]) -> list[tuple[str | None, Severity, str]]:
    return [(f.category, f.severity, f.excerpt) for f in findings if f.check == Check.health_claim]


@pytest.mark.parametrize(
    ("text", "family", "excerpt"),
    [
        ("血压正常了就可以停药了。", "stop_medicine", "就可以停药"),
        ("用这款茶代替降压药就行。", "stop_medicine", "代替降压药"),
        ("得了糖尿病不用吃药。", "stop_medicine", "不用吃药"),
        ("喝了这个汤，肿瘤自己就消失了。", "disease_gone", "肿瘤自己就消失"),
        ("这个偏方能让癌症自愈。", "disease_gone", "癌症自愈"),
        ("本院治疗不孕不育，治愈率高达100%。", "cure_rate", "治愈率高达100"),
    ],
)
def test_claims_that_endanger_health_are_warnings_with_their_family(
    text: str, family: str, excerpt: str
) -> None:
    [finding] = [f for f in Screener([]).scan({"body": text}) if f.check == Check.health_claim]
    assert (finding.category, finding.severity, finding.excerpt) == (family, Severity.warn, excerpt)
    assert text[finding.start : finding.end] == excerpt
    assert finding.message.startswith(f"「{excerpt}」") and "请" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "高血压患者不要自行停药。",
        "减药或停药须在医生指导下进行。",
        "抗抑郁药突然停用可能出现撤药反应。",
        "保健食品不能代替药物。",
        "目前糖尿病还无法根治。",
        "早期发现的宫颈癌经过治疗可以治愈。",
        "据国家癌症中心统计，早期甲状腺癌的治愈率可达90%以上。",
        "幽门螺杆菌四联疗法的根除率约为90%。",
        "新药组的客观缓解率为45%。",
    ],
)
def test_advice_against_it_and_neutral_medical_text_are_not_claims(text: str) -> None:
    assert claims(Screener([]).scan({"body": text})) == []


@pytest.mark.parametrize(
    "text",
    [
        "网传喝醋能治愈高血压，这是谣言。",
        "“吃苦瓜可以代替降糖药”的说法是错误的。",
        "警惕“治愈率100%”的广告。",
        "喝碱性水能让癌症自愈吗？",
    ],
)
def test_a_debunk_or_a_report_of_a_claim_gets_a_hint_only(text: str) -> None:
    found = claims(Screener([]).scan({"body": text}))
    assert found and all(severity == Severity.info for _, severity, _ in found), found


PATTERN = ClaimSpec("weight", "[不用|不必]…节食…瘦#斤", Severity.block, "减重要科学", ref="p1")


def test_an_operators_pattern_matches_with_its_gaps_numbers_and_alternatives() -> None:
    screener = Screener([], claims=[PATTERN])
    [finding] = screener.scan({"summary": "不用刻意节食，照样瘦十斤！"})
    assert (finding.category, finding.severity, finding.ref) == ("weight", Severity.block, "p1")
    assert finding.excerpt == "不用刻意节食，照样瘦十斤" and "减重要科学" in finding.message
    # A gap spans eight characters at most; the number is required.
    assert screener.scan({"body": "不用" + "一二三四五六七八九" + "节食也能瘦十斤"}) == []
    assert screener.scan({"body": "不必节食也能瘦很多"}) == []
    # Denied, or refuted: nothing, or a hint.
    assert screener.scan({"body": "不可能不必节食就瘦十斤"}) == []
    [hint] = screener.scan({"body": "网传不必节食就能瘦十斤，这是谣言。"})
    assert hint.severity == Severity.info


def test_a_pattern_filed_under_a_health_family_is_read_by_its_rules() -> None:
    spec = ClaimSpec("stop_medicine", "胰岛素…收起来", Severity.warn, "不要劝人停药")
    screener = Screener([], claims=[spec])
    assert claims(screener.scan({"body": "血糖稳定后，胰岛素就可以收起来了。"}))
    assert claims(screener.scan({"body": "血糖稳定后，不要自行把胰岛素收起来。"})) == []
    assert claims(screener.scan({"body": "胰岛素能否收起来，应由医生决定。"})) == []


def test_a_pattern_matching_a_claim_found_already_is_reported_once() -> None:
    spec = ClaimSpec("cure", "根治…糖尿病", Severity.block, "重复")
    findings = Screener([], claims=[spec]).scan({"body": "这种茶能根治糖尿病。"})
    assert [(f.severity, f.excerpt) for f in findings] == [(Severity.warn, "根治")]


async def test_bad_patterns_are_refused_with_their_code(session: AsyncSession) -> None:
    for pattern, code in (
        ("停[药|用", "claim.pattern_syntax"),
        ("停药]", "claim.pattern_syntax"),
        ("停药……吃", "claim.pattern_syntax"),
        ("停药…", "claim.pattern_syntax"),
        ("[停|]药", "claim.pattern_too_broad"),
        ("停[药|用药]", None),  # anchored by 停药 or 停用药
        ("#…治", "claim.pattern_too_broad"),
        ("[" + "|".join(f"词{i}" for i in range(25)) + "]", "claim.pattern_too_complex"),
    ):
        call = screening.add_claim_pattern(session, "x", pattern, "warn", "m")
        if code is None:
            assert (await call).pattern == pattern
        else:
            await refused(code, call)
    await refused("claim.severity", screening.add_claim_pattern(session, "x", "停药", "oops", "m"))


async def test_a_claim_pattern_changes_the_dictionary_version(session: AsyncSession) -> None:
    before = await screening.dictionary_version(session)
    row = await screening.add_claim_pattern(session, "x", "量子…治愈", "warn", "m")
    screener = await screening.current_screener(session)
    assert screener.version == before + 1
    assert screener.scan({"body": "量子疗法可以治愈"})[0].ref == row.id
    await refused(
        "claim.exists", screening.add_claim_pattern(session, "y", "量子 … 治愈", "block", "n")
    )
    await screening.delete_claim_pattern(session, row.id)
    assert await screening.dictionary_version(session) == before + 2
    await refused("claim.not_found", screening.delete_claim_pattern(session, row.id))
