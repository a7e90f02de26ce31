"""What operators may put in the screening dictionary and the rumor library, tried on the service
in a rolled-back session: each refusal has its stable code and writes nothing; and bulk imports
with their report. Their effect on screening, through the worker, is in
tests/api/test_screening_admin.py."""

from __future__ import annotations

import io
import secrets

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import screening
from content.errors import Invalid
from content.models import Rumor, ScreeningTerm
from tests.helpers import refused


async def _count(session: AsyncSession, model: type[ScreeningTerm] | type[Rumor]) -> int:
    return (await session.exec(select(func.count()).select_from(model))).one()


async def test_bad_terms_are_refused_with_their_code_and_nothing_is_written(
    session: AsyncSession,
) -> None:
    before = await _count(session, ScreeningTerm)
    for term, code in (
        ("坏\x00词", "term.control_character"),
        ("！？。，", "term.nothing_to_match"),
        ("   ", "term.length"),
    ):
        await refused(code, screening.add_term(session, term, "x", "warn"))
    short = screening.add_term(session, "短词", "x", "warn", pinyin=True)
    await refused("term.pinyin_too_short", short)
    assert await _count(session, ScreeningTerm) == before


async def test_a_term_differing_only_in_case_or_width_is_refused(session: AsyncSession) -> None:
    word = "Quack" + secrets.token_hex(3)
    first = await screening.add_term(session, word, "fraud", "warn")
    for variant in (word.upper(), word.lower(), f" {word} ", word.replace("Q", "Ｑ")):
        again = screening.add_term(session, variant, "fraud", "block")
        if variant.strip() == word:
            await refused("term.exists", again)
        else:
            variant_of = await refused("term.variant_exists", again)
            assert isinstance(variant_of, Invalid) and variant_of.extra["existing_id"] == first.id
    rows = (
        await session.exec(select(ScreeningTerm).where(col(ScreeningTerm.category) == "fraud"))
    ).all()
    assert [r.term for r in rows if r.term.lower() == word.lower()] == [word]


async def test_bad_rumors_are_refused_with_their_code(session: AsyncSession) -> None:
    before = await _count(session, Rumor)
    for claim, keywords, code in (
        ("吃\x00能防癌", ["防癌", "吃"], "rumor.control_character"),
        ("防癌", [], "rumor.no_keywords"),
        ("吃蒜防癌", ["蒜"], "rumor.no_keywords"),
        ("吃蒜防癌", ["蒜", "。。"], "rumor.keywords"),
    ):
        await refused(code, screening.add_rumor(session, claim, "不能", keywords, None))
    assert await _count(session, Rumor) == before


async def test_import_of_10_000_terms_reports_duplicates_and_bad_rows_and_imports_the_rest(
    session: AsyncSession,
) -> None:
    tag = secrets.token_hex(3)
    lines = ["term,category,severity"]
    lines += [f"导入{tag}词{i},fraud,warn" for i in range(10_000)]
    lines += [f"导入{tag}词{i},fraud,block" for i in range(5)]  # duplicates in the file
    lines += [
        "！！！,fraud,warn",
        f"坏{tag}\x00,fraud,warn",
        f"好{tag},fraud,fatal",
        "法轮功,x,warn",
    ]
    rows = screening.read_rows(io.StringIO("\n".join(lines)), screening.TERM_COLUMNS)
    seen: list[int] = []
    report = await screening.import_terms(session, rows, progress=seen.append)
    stored = (
        await session.exec(select(func.count()).where(col(ScreeningTerm.term).like(f"导入{tag}%")))
    ).one()
    assert (report.rows, report.added, stored) == (10_009, 10_000, 10_000)
    assert sum(seen) == 10_000 and len(seen) > 1
    assert [line for line, _ in report.duplicates] == [10_002, 10_003, 10_004, 10_005, 10_006,
                                                       10_010]  # fmt: skip
    assert [why.split(":")[0] for _, why in report.bad] == [
        "term.nothing_to_match", "term.control_character", "term.severity",
    ]  # fmt: skip
