"""The statistics page in Debian's Chromium: every chart drawn by Chart.js (CSP-safe, from the
page's JSON), the date range changed with the keyboard alone, no axe-core violation."""

from __future__ import annotations

from typing import Any

import httpx

from infra.services import Services
from tests import factories as f
from tests.console.harness import audit, log_in, shot
from tests.console.test_stats import engaged

EVERY_CHART_DRAWN = """() => !!window.Chart && [...document.querySelectorAll('canvas[data-chart]')]
    .every(c => Chart.getChart(c) !== undefined)"""
# Pixels of the canvas that are not transparent: the chart was painted, not just created.
PAINTED = """id => { const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""


async def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until ``selector`` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus by Tab")


async def test_an_operator_reads_the_charts_and_changes_the_range_by_keyboard(
    page: Any, client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    await engaged(client, services, crew)
    _, task_id = await f.in_political(client, crew, topics=["emergency"], audiences=["youth"])
    rejected = await f.decide(client, crew.political, task_id, "request_changes", "请补充来源")
    assert rejected.status_code == 200, rejected.text
    await engaged(client, services, crew)

    await log_in(page, crew.admin, next="/console/stats", lands_on="/console/stats")

    await page.wait_for_function(EVERY_CHART_DRAWN)
    canvases = await page.eval_on_selector_all(
        "canvas[data-chart]", "cs => cs.map(c => [c.id, c.getAttribute('role'), c.ariaLabel])"
    )
    assert len(canvases) == 6
    for canvas_id, role, label in canvases:
        assert role == "img" and label, canvas_id
        assert await page.evaluate(PAINTED, canvas_id) > 500, f"{canvas_id} is blank"
    views = await page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-reach-views')).data.datasets.length"
    )
    assert views >= 2  # one bar per audience
    assert await audit(page) == []
    await shot(page, "stats")

    # The tables open by keyboard, and pass the audit open too.
    await _tab_to(page, "#reach-title ~ details summary")
    await page.keyboard.press("Enter")
    assert await page.locator("#table-reach").is_visible()
    for summary in await page.query_selector_all("details:not([open]) summary"):
        await summary.focus()
        await page.keyboard.press("Enter")
    assert await page.locator("#table-decisions").is_visible()
    assert await audit(page) == []
    await shot(page, "stats-tables")

    # A range by keyboard: from the first field's first part, one step back; Enter sends it.
    await page.locator("body").focus()
    await page.evaluate("() => document.activeElement.blur()")
    await _tab_to(page, "#stats-from")
    was = await page.input_value("#stats-from")
    await page.keyboard.press("ArrowDown")
    chosen = await page.input_value("#stats-from")
    assert chosen and chosen < was
    last = await page.input_value("#stats-to")
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**/console/stats?from={chosen}&to={last}")
    await page.wait_for_function(EVERY_CHART_DRAWN)
    assert f"{chosen} 至 {last}" in await page.locator("main").inner_text()

    # The shortcuts are links: Tab to one, Enter.
    await _tab_to(page, ".shortcuts a")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/console/stats?from=*")
    assert "共 7 天" in await page.locator("main").inner_text()
    assert await audit(page) == []
