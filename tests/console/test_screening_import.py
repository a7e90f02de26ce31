"""Operators import screening lists from a file in the console: the same reader and services as
`kepu screening import`; good lines added, the others listed by line number; a file that is not
text refused; a dry run writes nothing; a refused import comes back with its choices."""

from __future__ import annotations

import re
import secrets

import httpx
from fastapi import FastAPI
from sqlmodel import col

from content import screening
from content.models import Rumor, ScreeningTerm
from infra.services import Services
from tests.console import screening_forms as sf
from tests.console.harness import Console, queries

# --- import


async def _import(
    console: Console, kind: str, content: bytes, name: str = "list.csv", dry_run: bool = False
) -> httpx.Response:
    await console.get("/console/screening/import")
    data = {"kind": kind, **({"dry_run": "true"} if dry_run else {})}
    return await console.post(
        "/console/screening/import",
        data,
        files={"file": (name, content, "text/csv")},
        referer="/console/screening/import",
    )


async def test_a_refused_import_comes_back_with_its_choices_once(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    claims = "family,pattern,severity,message\nmiracle,停药…治愈,warn,请删除\n"
    resp = await _import(console, "rumors", claims.encode(), dry_run=True)
    assert resp.headers["x-console-error"] == "422 import.header"
    page = await sf.after(console, resp)
    assert '<option value="rumors" selected>' in page
    assert 'name="dry_run" type="checkbox" value="true" checked' in page
    again = (await console.get("/console/screening/import")).text
    assert '<option value="terms" selected>' in again  # the page's defaults once more
    assert 'value="true" checked' not in again


async def test_an_import_adds_the_good_lines_and_lists_the_others_by_line(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    tag = secrets.token_hex(3)
    async with services.write_sessions() as session:
        await screening.add_term(session, f"已有{tag}", "fraud", "warn")
        await session.commit()
    lines = [
        "term,category,severity,pinyin",
        f"好词{tag}甲,fraud,warn,",
        f"好词{tag}乙,fraud,block,",
        f"坏级别{tag},fraud,severe,",  # line 4
        f"已有{tag},fraud,warn,",  # line 5: in the dictionary
        f"好词{tag}甲,fraud,warn,",  # line 6: same as line 2
        f"<script>x{tag}</script>,fraud,warn,",
        f"<script>x{tag}</script>,fraud,warn,",  # line 8: same as line 7, shown as text
    ]
    with queries(services) as seen:
        resp = await _import(console, "terms", "\n".join(lines).encode("utf-8-sig"))
    assert resp.status_code == 200, resp.text
    assert len(seen) <= 12, seen  # reading, writing in one chunk, the version, the counts
    page = resp.text
    assert "已添加 3 条，跳过重复 3 条，拒绝 1 条" in sf.message(page)
    assert re.search(r"第 4 行</th><td>级别只能是 block、warn 或 info</td>", page)
    assert "第 5 行" in page and "第 6 行" in page and "same as line 2" in page
    assert "<script>x" not in page and f"&lt;script&gt;x{tag}&lt;/script&gt;" in page
    where = col(ScreeningTerm.term).in_([f"好词{tag}甲", f"好词{tag}乙", f"坏级别{tag}"])
    assert await sf.count(services, ScreeningTerm, where) == 2
    async with services.read_sessions() as session:
        assert (await screening.current_screener(session)).scan({"body": f"好词{tag}乙"})


async def test_claims_and_rumors_are_imported_with_their_own_columns(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    tag = secrets.token_hex(3)
    claims = (
        "family,pattern,severity,message\n"
        f"miracle,喝{tag}…[治好|治愈],warn,请删除\n"
        f"miracle,停[用{tag},warn,请删除\n"
    )
    resp = await _import(console, "claims", claims.encode())
    assert "已添加 1 条，跳过重复 0 条，拒绝 1 条" in sf.message(resp.text)
    assert "第 3 行" in resp.text and "a [ is never closed by ]" in resp.text
    rumors = f"claim,truth,keywords,source\n吃{tag}能长生,没有依据,{tag};长生,卫健委\n"
    resp = await _import(console, "rumors", rumors.encode())
    assert "已添加 1 条" in sf.message(resp.text)
    assert await sf.count(services, Rumor, col(Rumor.claim) == f"吃{tag}能长生") == 1
    # A file of one list's columns for another: its header says what is missing.
    wrong = await _import(console, "rumors", claims.encode())
    assert wrong.headers["x-console-error"] == "422 import.header"
    assert "CSV 表头缺少必需的列" in sf.message(await sf.after(console, wrong))


async def test_a_file_that_is_not_text_is_refused_and_nothing_is_written(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    tag = secrets.token_hex(3)
    for content in (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + tag.encode(),
        f"term,category,severity\n{tag},fraud,warn\n".encode("utf-16"),
        f"term,category,severity\n{tag}\x00,fraud,warn\n".encode(),
    ):
        resp = await _import(console, "terms", content, name="picture.png")
        assert resp.headers["x-console-error"] == "422 import.not_text"
        assert "文件不是 UTF-8 编码的 CSV 文本" in sf.message(await sf.after(console, resp))
    assert await sf.count(services, ScreeningTerm, col(ScreeningTerm.term).contains(tag)) == 0


async def test_a_dry_run_shows_the_summary_and_writes_nothing(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    word = "预览" + secrets.token_hex(3)
    resp = await _import(
        console, "terms", f"term,category,severity\n{word},fraud,block\n".encode(), dry_run=True
    )
    assert "预览：将添加 1 条" in sf.message(resp.text) and "结论会改变的" in resp.text
    assert await sf.count(services, ScreeningTerm, col(ScreeningTerm.term) == word) == 0


async def test_the_import_page_costs_a_few_statements(
    console: Console, services: Services, app: FastAPI
) -> None:
    await sf.operator(console, services)
    with queries(services) as seen:
        page = await console.get("/console/screening/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert len(seen) <= 4, seen
    with queries(services) as seen:
        page = await console.get("/console/screening/rumors")
    assert page.status_code == 200 and len(seen) <= 5, seen
