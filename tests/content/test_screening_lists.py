"""The listing and file-import services of the operators' screening pages, tried in a rolled-back
session: searching terms as screening matches them, the lists' sizes in one statement, and an
uploaded file read like `kepu screening import` reads one."""

from __future__ import annotations

import secrets

from sqlmodel.ext.asyncio.session import AsyncSession

from content import screening
from content.models import ScreeningTerm
from tests.helpers import refused


async def test_terms_are_searched_as_written_as_matched_and_by_category(
    session: AsyncSession,
) -> None:
    tag = secrets.token_hex(3)
    quack = await screening.add_term(session, f"Quack{tag}", f"cat{tag}", "warn")
    other = await screening.add_term(session, f"其他{tag}", "fraud", "info")

    async def found(search: str) -> list[str]:
        rows, _ = await screening.list_terms(session, None, 50, search=search)
        return [r.id for r in rows]

    assert await found(f"quack{tag}") == [quack.id]  # case folded
    assert await found(f"ＱＵＡＣＫ{tag}") == [quack.id]  # width folded
    assert await found(f"cat{tag}") == [quack.id]  # a category, whole
    assert await found(f"其他{tag}") == [other.id]
    wild, _ = await screening.list_terms(session, None, 50, search="%")
    assert all("%" in r.term for r in wild)  # LIKE's wildcards are plain characters
    newest, cursor = await screening.list_terms(session, None, 1, search=tag, newest_first=True)
    assert [r.id for r in newest] == [other.id] and cursor == other.id
    rest, _ = await screening.list_terms(session, cursor, 1, search=tag, newest_first=True)
    assert [r.id for r in rest] == [quack.id]


async def test_list_sizes_counts_each_list(session: AsyncSession) -> None:
    before = await screening.list_sizes(session)
    await screening.add_term(session, "数一数" + secrets.token_hex(3), "x", "info")
    await screening.add_rumor(session, "吃盐能防辐射", "没有依据", ["吃盐", "辐射"], None)
    after = await screening.list_sizes(session)
    assert (after.terms, after.claims, after.rumors) == (
        before.terms + 1,
        before.claims,
        before.rumors + 1,
    )


async def test_an_uploaded_file_is_imported_like_the_command_imports_one(
    session: AsyncSession,
) -> None:
    tag = secrets.token_hex(3)
    data = f"\ufeffterm,category,severity\r\n词{tag},fraud,warn\r\n坏{tag},fraud,nope\r\n"
    report = await screening.import_file(session, screening.ImportKind.terms, data.encode())
    assert (report.rows, report.added, report.duplicates) == (2, 1, [])
    [(line, why)] = report.bad
    assert line == 3 and why.startswith("term.severity: ")
    assert await session.get(ScreeningTerm, (await _id_of(session, f"词{tag}")))
    for bad in (b"\xff\xfe\x00t", b"term\n\x00", b"term,category\n\x00x"):
        terms = screening.import_file(session, screening.ImportKind.terms, bad)
        await refused("import.not_text", terms)
    await refused(
        "import.header", screening.import_file(session, screening.ImportKind.rumors, b"term\n")
    )


async def _id_of(session: AsyncSession, term: str) -> str:
    rows, _ = await screening.list_terms(session, None, 1, search=term)
    return rows[0].id
