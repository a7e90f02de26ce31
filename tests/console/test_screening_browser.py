"""The screening pages in Debian's Chromium: an operator adds a term with the keyboard alone,
removes it after the confirmation, reads a claim pattern's error, imports a file and reads the
summary; no axe-core violation on any of the pages, a screenshot of each."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from infra.services import Services
from tests.console.harness import audit, log_in, shot, tab_to
from tests.factories import person


async def _log_in(page: Any, services: Services) -> None:
    await log_in(page, await person(services, "admin"), lands_on="/console/contents")


async def test_an_operator_keeps_the_terms_with_the_keyboard(page: Any, services: Services) -> None:
    await _log_in(page, services)
    await page.goto("/console/screening")
    word = "键盘词" + secrets.token_hex(3)
    await tab_to(page, "#term")
    await page.keyboard.type(word)
    await page.keyboard.press("Tab")
    await page.keyboard.type("fraud")
    await page.keyboard.press("Enter")
    await page.get_by_role("status").filter(has_text=f"已添加词条「{word}」").wait_for()
    row = page.locator("tbody tr", has=page.locator("th", has_text=word))
    assert await row.count() == 1
    assert "警告" in await row.inner_text()
    assert await audit(page) == []
    await shot(page, "screening-terms")

    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name=f"删除词条「{word}」").click()
    await page.get_by_role("status").filter(has_text="已删除词条").wait_for()
    assert await row.count() == 0


async def test_an_operator_reads_a_bad_patterns_error_and_the_rumors(
    page: Any, services: Services
) -> None:
    await _log_in(page, services)
    await page.goto("/console/screening/claims")
    await page.keyboard.press("n")  # the shortcut to the form
    assert await page.evaluate("() => document.activeElement.id") == "pattern"
    await page.get_by_label("模式", exact=True).fill("停[用|服药")
    await page.get_by_label("类别").fill("stop_medicine")
    await page.get_by_label("给作者的提示").fill("用药调整请遵医嘱")
    await page.get_by_role("button", name="添加").click()
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "宣称模式的写法有误" in await alert.inner_text()
    assert await audit(page) == []
    await shot(page, "screening-claims")

    await page.get_by_role("link", name="谣言库").click()
    await page.wait_for_url("**/console/screening/rumors")
    assert await page.locator("h1").inner_text() == "筛查词库"
    assert await audit(page) == []
    await shot(page, "screening-rumors")


async def test_an_operator_imports_a_file_and_reads_the_summary(
    page: Any, services: Services
) -> None:
    await _log_in(page, services)
    await page.goto("/console/screening/import")
    tag = secrets.token_hex(3)
    lines = [
        "term,category,severity",
        f"导入词{tag}甲,fraud,warn",
        f"导入词{tag}乙,fraud,severe",
        f"导入词{tag}甲,fraud,warn",
        f"导入词{tag}丙,fraud,block",
    ]
    await page.get_by_label("导入到").select_option("terms")
    await page.set_input_files(
        "#file",
        files=[{"name": "terms.csv", "mimeType": "text/csv", "buffer": "\n".join(lines).encode()}],
    )
    await page.get_by_role("button", name="导入").click()
    report = page.locator(".import-report")
    await report.wait_for()
    text = await report.inner_text()
    assert "第 3 行" in text and "第 4 行" in text and "same as line 2" in text
    status = await page.get_by_role("status").inner_text()
    assert "已添加 2 条，跳过重复 1 条，拒绝 1 条" in status
    assert await audit(page) == []
    await shot(page, "screening-import")
