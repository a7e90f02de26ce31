"""A day of the console, as the people who run Kepu live it, in Debian's Chromium: a creator's
article (one that trips the machine's health-claim screening) reaches the political queue; the
political reviewer takes it, sees the finding marked and approves; the science reviewer of its
discipline approves; viewers find it in the public feed; an operator finds it and takes it down,
and it is gone from the feed at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from infra.services import Services
from tests import factories as f
from tests.console.harness import audit, log_in, shot
from tests.console.reviewing import FLAGGED_BODY, new_discipline, quiet_political_queue

TITLE = "这种茶真能降血糖吗"


async def in_feed(client: httpx.AsyncClient, content_id: str) -> bool:
    resp = await client.get("/api/v1/feed", params={"tab": "latest", "limit": 50})
    assert resp.status_code == 200, resp.text
    return any(card["id"] == content_id for card in resp.json()["items"])


async def test_two_reviews_publish_an_article_and_an_operator_takes_it_down(
    tabs: Callable[[], Awaitable[Any]], services: Services, client: httpx.AsyncClient
) -> None:
    discipline = await new_discipline(services)
    creator = await f.person(services, "creator")
    political = await f.person(services, "political_reviewer")
    science = await f.person(services, "science_reviewer", disciplines=(discipline,))
    operator = await f.person(services, "admin")
    await quiet_political_queue(services)
    content = await f.create(client, creator, title=TITLE, body=FLAGGED_BODY, discipline=discipline)
    assert (await f.submit(client, creator, content["id"])).status_code == 202
    await f.wait_for_task(client, political, "political", content["id"])  # screened by the worker

    # The political reviewer opens the political queue and takes the task.
    tab = await tabs()
    await log_in(tab, political, lands_on="/console/review")
    await tab.get_by_role("link", name="政治审核").click()
    await tab.wait_for_url("**/console/review/queue/political")
    assert TITLE in await tab.locator("table.review-queue").inner_text()
    await tab.get_by_role("button", name="开始审核下一条").click()
    await tab.wait_for_url("**/console/review/tasks/*")
    assert "由你认领" in await tab.locator(".claim").inner_text()
    # The machine's finding is marked in the text, with its explanation beside it.
    assert "根治" in await tab.locator("mark.finding").all_inner_texts()
    assert await tab.locator("#finding-0").is_visible()
    assert await audit(tab) == []
    await tab.keyboard.press("a")
    await tab.get_by_text(f"已通过：《{TITLE}》").wait_for()
    assert not await in_feed(client, content["id"])  # one review is not enough

    # The science reviewer of its discipline approves.
    tab = await tabs()
    await log_in(tab, science, lands_on="/console/review")
    await tab.goto(f"/console/review/queue/science?discipline={discipline}")
    await tab.get_by_role("button", name="开始审核下一条").click()
    await tab.wait_for_url("**/console/review/tasks/*")
    assert TITLE in await tab.locator("h1").inner_text()
    await tab.keyboard.press("a")
    await tab.get_by_text(f"已通过：《{TITLE}》").wait_for()
    assert await in_feed(client, content["id"])  # published: viewers have it

    # An operator finds it by its id and takes it down.
    tab = await tabs()
    await log_in(tab, operator, lands_on="/console/contents")
    await tab.get_by_label("标题或编号").fill(content["id"])
    await tab.keyboard.press("Enter")
    await tab.get_by_role("link", name=TITLE).click()
    await tab.wait_for_url(f"**/console/contents/{content['id']}")
    await tab.get_by_label("下架原因（作者会收到）").fill("夸大疗效")
    tab.once("dialog", lambda d: asyncio.ensure_future(d.accept()))
    await tab.get_by_role("button", name="下架").click()
    await tab.locator("#content-status", has_text="已下架").wait_for()
    await shot(tab, "day-taken-down")
    assert not await in_feed(client, content["id"])
    assert (await f.get(client, None, content["id"])).status_code == 404
