"""Operators' pages in Debian's Chromium: an operator finds a published content by a word of its
title, takes it down (confirming in the browser) and the public feed no longer has it, pins
another with an expiry, and resolves a report; every page passes axe-core at 1280×800."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx

from api.console.pages import CHINA
from infra.services import Services
from tests import factories as f
from tests.console.harness import audit, log_in, shot
from tests.console.operating import feed_ids, report, word


def accept_next_dialog(page: Any) -> None:
    page.once("dialog", lambda d: asyncio.ensure_future(d.accept()))


async def test_an_operator_searches_takes_down_pins_and_resolves_a_report(
    page: Any, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    title_word = word()
    doomed = await f.publish(client, crew, title=f"{title_word} 能治百病的说法")
    to_pin = await f.publish(client, crew, title="寒潮来临时的防寒要点")
    reported = await f.publish(client, crew, title="被读者举报的文章")
    viewer = await f.person(services, "viewer")
    await report(client, viewer, reported, "pseudoscience", "引用的研究不存在")
    assert doomed in await feed_ids(client)
    admin = await f.person(services, "admin")

    # Log in; the operator lands on the contents page.
    await log_in(page, admin, lands_on="/console/contents")

    # Search by a word of the title, by keyboard.
    await page.get_by_label("标题或编号").focus()
    await page.keyboard.type(title_word)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**/console/contents?q={title_word}*")
    link = page.get_by_role("link", name=f"{title_word} 能治百病的说法")
    assert await link.count() == 1
    assert await audit(page) == []
    await shot(page, "contents-search")

    # Open it, and take it down with a reason (confirmed in the browser).
    await link.click()
    await page.wait_for_url(f"**/console/contents/{doomed}")
    assert await page.locator("#content-status").inner_text() == "已发布"
    assert await audit(page) == []
    await shot(page, "content-detail")
    await page.get_by_label("下架原因（作者会收到）").fill("宣称能治百病，没有科学依据")
    accept_next_dialog(page)
    await page.get_by_role("button", name="下架").click()
    await page.locator("#content-status", has_text="已下架").wait_for()
    assert "已下架：" in await page.locator(".message").inner_text()
    assert "宣称能治百病，没有科学依据" in await page.locator("table.history").inner_text()
    assert doomed not in await feed_ids(client)
    assert (await f.get(client, None, doomed)).status_code == 404
    assert await audit(page) == []
    await shot(page, "content-taken-down")

    # Pin another until tomorrow evening, China time.
    await page.goto(f"/console/contents/{to_pin}")
    until = (datetime.now(CHINA) + timedelta(days=1)).replace(hour=20, minute=0)
    await page.get_by_label("置顶至（北京时间）").fill(until.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_role("button", name="置顶", exact=True).click()
    await page.get_by_text(f"已置顶到 {until.strftime('%Y-%m-%d %H:%M')}").wait_for()
    assert await page.get_by_role("button", name="取消置顶").count() == 1
    feed = await client.get("/api/v1/feed", params={"tab": "latest", "limit": 50})
    assert any(c["id"] == to_pin and c["pinned"] for c in feed.json()["items"])
    assert await audit(page) == []

    # The reports: dismiss the one about the third content, with a note.
    await page.get_by_role("link", name="举报", exact=True).click()
    await page.wait_for_url("**/console/reports")
    group = page.locator("article.report-group", has_text="被读者举报的文章")
    assert "引用的研究不存在" in await group.inner_text()
    assert await audit(page) == []
    await shot(page, "reports")
    await group.get_by_label("驳回举报（内容保持原状）").check()
    await group.get_by_label("备注（可选，最多 500 字）").fill("已核实，研究真实存在")
    accept_next_dialog(page)
    await group.get_by_role("button", name="处理").click()
    await page.get_by_text("已驳回 1 条举报").wait_for()
    assert await page.locator("article.report-group", has_text="被读者举报的文章").count() == 0
    assert await audit(page) == []
