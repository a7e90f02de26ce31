"""Operators' screening tools over HTTP and the worker: a changed dictionary in effect at once,
and a dry run of an import over recent submissions. What the dictionary refuses, and bulk
imports, are tried on the service in tests/content/test_screening_dictionary.py."""

from __future__ import annotations

import io
import secrets

import httpx
from sqlmodel import func, select

from content.models import Rumor, ScreeningTerm
from content.screening import dictionary, imports
from infra.services import Services
from tests import factories as f

TERMS = "/api/v1/admin/screening/terms"
RUMORS = "/api/v1/admin/rumors"


async def _count(services: Services, model: type[ScreeningTerm] | type[Rumor]) -> int:
    async with services.read_sessions() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


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
