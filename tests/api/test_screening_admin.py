"""Operators' screening tools: validation with stable codes and nothing written, a changed
dictionary in effect at once, and bulk import with a dry run."""

from __future__ import annotations

import io
import secrets

import httpx
from sqlmodel import col, func, select

from content.models import Rumor, ScreeningTerm
from content.screening import dictionary, imports
from infra.services import Services
from tests import factories as f

TERMS = "/api/v1/admin/screening/terms"
RUMORS = "/api/v1/admin/rumors"


async def _count(services: Services, model: type[ScreeningTerm] | type[Rumor]) -> int:
    async with services.read_sessions() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def test_bad_terms_are_refused_with_their_code_and_nothing_is_written(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    before = await _count(services, ScreeningTerm)
    for term, code in (
        ("坏\x00词", "term.control_character"),
        ("！？。，", "term.nothing_to_match"),
        ("   ", "term.length"),
    ):
        resp = await client.post(
            TERMS, json={"term": term, "category": "x", "severity": "warn"}, headers=admin.auth
        )
        f.assert_problem(resp, 422, code)
    short = await client.post(
        TERMS,
        json={"term": "短词", "category": "x", "severity": "warn", "pinyin": True},
        headers=admin.auth,
    )
    f.assert_problem(short, 422, "term.pinyin_too_short")
    assert await _count(services, ScreeningTerm) == before


async def test_a_term_differing_only_in_case_or_width_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    word = "Quack" + secrets.token_hex(3)
    first = await client.post(
        TERMS, json={"term": word, "category": "fraud", "severity": "warn"}, headers=admin.auth
    )
    assert first.status_code == 201
    for variant in (word.upper(), word.lower(), f" {word} ", word.replace("Q", "Ｑ")):
        resp = await client.post(
            TERMS, json={"term": variant, "category": "fraud", "severity": "block"},
            headers=admin.auth,
        )  # fmt: skip
        if variant.strip() == word:
            f.assert_problem(resp, 409, "term.exists")
        else:
            body = f.assert_problem(resp, 422, "term.variant_exists")
            assert body["existing_id"] == first.json()["id"]
    async with services.read_sessions() as session:
        rows = (
            await session.exec(select(ScreeningTerm).where(col(ScreeningTerm.category) == "fraud"))
        ).all()
    assert [r.term for r in rows if r.term.lower() == word.lower()] == [word]


async def test_bad_rumors_are_refused_with_their_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    before = await _count(services, Rumor)
    for body, code in (
        ({"claim": "吃\x00能防癌", "truth": "不能", "keywords": ["防癌", "吃"]},
         "rumor.control_character"),
        ({"claim": "防癌", "truth": "不能", "keywords": []}, "rumor.no_keywords"),
        ({"claim": "吃蒜防癌", "truth": "不能", "keywords": ["蒜"]}, "rumor.no_keywords"),
        ({"claim": "吃蒜防癌", "truth": "不能", "keywords": ["蒜", "。。"]}, "rumor.keywords"),
    ):  # fmt: skip
        f.assert_problem(await client.post(RUMORS, json=body, headers=admin.auth), 422, code)
    assert await _count(services, Rumor) == before


async def test_a_new_term_applies_to_the_next_screening_without_a_restart(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    word = "量子水疗" + secrets.token_hex(2)
    async with services.read_sessions() as session:
        cached = await dictionary.current_screener(session)  # this process has a screener
    # Written as another process would: straight to the database, committed.
    async with services.write_sessions() as session:
        await dictionary.add_term(session, word, "fraud", "block")
        await session.commit()
    async with services.read_sessions() as session:
        fresh = await dictionary.current_screener(session)
    assert fresh is not cached and fresh.version is not None
    assert cached.version is not None and fresh.version > cached.version
    judged = await f.screened(client, creator, summary=f"本文介绍{word}的原理")
    assert judged["status"] == "rejected"
    [finding] = [x for x in judged["findings"] if x["severity"] == "block"]
    assert finding["excerpt"] == word and finding["dictionary_version"] == fresh.version


async def test_import_of_10_000_terms_reports_duplicates_and_bad_rows_and_imports_the_rest(
    services: Services,
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
    rows = imports.read_rows(io.StringIO("\n".join(lines)), imports.TERM_COLUMNS)
    seen: list[int] = []
    async with services.write_sessions() as session:  # rolled back: other tests never see it
        report = await imports.import_terms(session, rows, progress=seen.append)
        stored = (
            await session.exec(
                select(func.count()).where(col(ScreeningTerm.term).like(f"导入{tag}%"))
            )
        ).one()
        await session.rollback()
    assert (report.rows, report.added, stored) == (10_009, 10_000, 10_000)
    assert sum(seen) == 10_000 and len(seen) > 1
    assert [line for line, _ in report.duplicates] == [10_002, 10_003, 10_004, 10_005, 10_006,
                                                       10_010]  # fmt: skip
    assert [why.split(":")[0] for _, why in report.bad] == [
        "term.nothing_to_match", "term.control_character", "term.severity",
    ]  # fmt: skip


async def test_a_dry_run_shows_what_recent_submissions_would_get_and_writes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    word = "灵能净水" + secrets.token_hex(2)
    content = await f.screened(client, creator, body=f"这款{word}可以净化身体。")
    before = await _count(services, ScreeningTerm)
    rows = imports.read_rows(
        io.StringIO(f"term,category,severity\n{word},fraud,block\n"), imports.TERM_COLUMNS
    )
    async with services.write_sessions() as session:
        version = await dictionary.dictionary_version(session)
        report = await imports.import_terms(session, rows, dry_run=True, recent=20)
        assert await dictionary.dictionary_version(session) == version
    [change] = [c for c in report.changes if c.content_id == content["id"]]
    assert change.after == "block" and change.before != "block"
    assert [x.excerpt for x in change.new_findings] == [word]
    assert await _count(services, ScreeningTerm) == before
