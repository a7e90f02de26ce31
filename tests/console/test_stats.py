"""The operators' statistics page over HTTP: the numbers its tables show are /admin/stats's for
the same range (the same service), the backlog is the open tasks as they stand, a bad range
says what is wrong, and the page costs the same few SQL statements however much data exists."""

from __future__ import annotations

import json
import re
import secrets
import time
from html.parser import HTMLParser
from typing import Any

import httpx
from sqlmodel import col, func, select

from content import engagement, kit, review
from content.models import Action, ReviewTask, Stage, TaskStatus
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.console.harness import Console, queries
from workers.feeds import flush_counters
from workers.stats import roll_up_recent

API = "/api/v1"
STAGE_NAMES = {"machine": "机器初筛", "political": "政治审核", "science": "科学审核"}
ACTION_NAMES = {
    "pass": "通过",
    "block": "拦截",
    "approve": "通过",
    "reject": "驳回",
    "request_changes": "要求修改",
}


class _Tables(HTMLParser):
    """The text of each cell of each ``<table id=…>``, row by row (header row included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return {name: rows[1:] for name, rows in parser.tables.items()}  # without the header row


def charts(page: str) -> dict[str, dict[str, Any]]:
    found = re.findall(r'<script type="application/json" id="([^"]+)-data">(.*?)</script>', page)
    return {name: json.loads(body) for name, body in found}


def percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


async def engaged(client: httpx.AsyncClient, services: Services, crew: f.Crew) -> list[str]:
    """Two published articles on different topics and audiences, viewed (one person read the
    first to the end) and liked, flushed and rolled up; an article waiting in each human stage."""
    ids = [
        await f.publish(client, crew, topics=["health"], audiences=["elderly"]),
        await f.publish(client, crew, topics=["food-safety", "health"], audiences=["farmers"]),
    ]
    viewers = [await f.person(services, "viewer") for _ in range(3)]
    for i, who in enumerate(viewers[1:], 1):
        for content_id in ids[: i + 1]:
            resp = await client.post(
                f"{API}/contents/{content_id}/views", json={"progress": 0.3}, headers=who.auth
            )
            assert resp.status_code == 202, resp.text
    # The first viewer read the first article to the end over a minute (server times).
    now = time.time()
    read = [
        {"k": "view", "c": ids[0], "u": viewers[0].id, "e": e, "w": None, "p": p, "t": now - ago}
        for e, p, ago in (("start", 0.0, 90), ("progress", 1.0, 30))
    ]
    async with services.write_sessions() as session:
        await engagement.apply_batch(session, None, read)
        await session.commit()
    like = await client.post(f"{API}/contents/{ids[0]}/like", headers=viewers[1].auth)
    assert like.is_success, like.text
    await f.in_political(client, crew)
    await f.in_science(client, crew)
    await flush_counters(services)
    await roll_up_recent(services)
    return ids


async def _open_tasks(services: Services) -> dict[str, int]:
    async with services.read_sessions() as session:
        rows = await session.exec(
            select(col(ReviewTask.stage), func.count())
            .where(col(ReviewTask.status) == TaskStatus.open)
            .group_by(col(ReviewTask.stage))
        )
        return {Stage(s).value: int(n) for s, n in rows.all()}


async def test_the_page_shows_the_numbers_the_api_gives_for_the_same_range(
    console: Console, client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    await engaged(client, services, crew)
    await console.login(crew.admin)
    page = await console.get("/console/stats")
    assert page.status_code == 200, page.text
    api = (await client.get(f"{API}/admin/stats", headers=crew.admin.auth)).json()
    assert api["days"] == 30  # the same default range
    assert f"{api['from']} 至 {api['to']}，共 30 天" in page.text
    shown = tables(page.text)

    pairs = {
        (s["topic"], s["audience"]): s for s in api["by_topic_audience"] if s["topic"] == "health"
    }
    rows = {(r[0], r[1]): r for r in shown["table-reach"]}
    for (topic, audience), name in {
        ("health", "elderly"): ("健康", "老年人"),
        ("health", "farmers"): ("健康", "农民"),
    }.items():
        s = pairs[(topic, audience)]
        assert rows[name][2:] == [
            str(s["views"]),
            str(s["viewers"]),
            str(s["completions"]),
            percent(s["completion_rate"]),
            str(s["likes"]),
            str(s["favorites"]),
            str(s["shares"]),
        ]
    assert pairs[("health", "elderly")]["completions"] >= 1  # the charts have a rate to draw
    assert len(shown["table-reach"]) == len(api["by_topic_audience"])
    food = next(r for r in shown["table-reach"] if r[0] == "食品安全")
    assert food[1] == "农民"
    totals = api["totals"]
    assert f"<dd>{totals['views']}</dd>" in page.text
    assert f"<dd>{percent(totals['completion_rate'])}</dd>" in page.text
    types = {r[0]: r[1] for r in shown["table-types"]}
    assert types["图文"] == str({t["type"]: t for t in api["by_type"]}["article"]["views"])

    outcomes = {(r[0], r[1]): r[2] for r in shown["table-latency"]}
    assert outcomes == {
        (STAGE_NAMES[s["stage"]], ACTION_NAMES[s["action"]]): str(s["decisions"])
        for s in api["review"]["stages"]
    }
    per_day = {r[0]: r[1:4] for r in shown["table-decisions"]}
    assert per_day == {
        d["day"]: [str(d["machine"]), str(d["political"]), str(d["science"])]
        for d in api["review"]["per_day"]
    }
    published = sum(int(r[4]) for r in shown["table-decisions"])
    assert published == api["review"]["submit_to_publish"]["published"]

    # The backlog is the open tasks now, whatever the range.
    open_now = await _open_tasks(services)
    backlog: dict[str, int] = {}
    for r in shown["table-backlog"]:
        backlog[r[0]] = backlog.get(r[0], 0) + int(r[2])
    assert backlog == {
        "政治审核": open_now.get("political", 0),
        "科学审核": open_now.get("science", 0),
    }
    assert open_now["political"] >= 1 and open_now["science"] >= 1
    medicine = next(r for r in shown["table-backlog"] if r[1] == "医学" or "medicine" in r[1])
    assert medicine[0] == "科学审核" and int(medicine[2]) >= 1

    # Every chart: a canvas Chart.js draws from its JSON, with a text alternative and a table.
    drawn = charts(page.text)
    assert set(drawn) == {
        "chart-reach-views",
        "chart-reach-rate",
        "chart-backlog",
        "chart-latency",
        "chart-latency-days",
        "chart-decisions",
    }
    for name in drawn:
        canvas = re.search(rf'<canvas id="{name}"[^>]*>', page.text)
        assert canvas and 'role="img"' in canvas.group(0) and "aria-label=" in canvas.group(0)
    views = drawn["chart-reach-views"]["data"]
    elderly = next(d for d in views["datasets"] if d["label"] == "老年人")
    assert elderly["data"][views["labels"].index("健康")] == pairs[("health", "elderly")]["views"]
    assert len(drawn["chart-decisions"]["data"]["labels"]) == 30  # every day, not just busy ones
    assert "vendor/chart.umd.min.js" in page.text


async def test_a_chosen_range_is_the_apis_for_that_range(
    console: Console, client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    await console.login(admin)
    params = {"from": "2026-01-01", "to": "2026-01-07"}
    page = await console.get("/console/stats", params=params)
    assert page.status_code == 200
    assert "2026-01-01 至 2026-01-07，共 7 天" in page.text
    assert 'value="2026-01-01"' in page.text and 'value="2026-01-07"' in page.text
    api = (await client.get(f"{API}/admin/stats", params=params, headers=admin.auth)).json()
    assert api["by_topic_audience"] == [] and api["review"]["per_day"] == []
    shown = tables(page.text)
    assert shown["table-reach"] == [["没有数据"]]
    assert shown["table-decisions"] == [["没有数据"]]
    assert "这段时间没有浏览记录" in page.text
    assert len(charts(page.text)["chart-decisions"]["data"]["labels"]) == 7
    # Empty fields (a cleared form) are the defaults.
    blank = await console.get("/console/stats", params={"from": "", "to": ""})
    assert blank.status_code == 200 and "共 30 天" in blank.text


async def test_a_bad_range_says_what_is_wrong_on_the_page(
    console: Console, services: Services
) -> None:
    admin = await f.person(services, "admin")
    await console.login(admin)
    cases = [
        (
            {"from": "2026-12-02", "to": "2026-12-01"},
            "stats.range_reversed",
            "开始日期不能晚于结束日期",
        ),
        ({"from": "2016-01-01", "to": "2026-01-01"}, "stats.range_too_long", "日期范围过长"),
        ({"from": "2026-13-01"}, "stats.bad_date", "日期格式有误"),
        ({"to": "<script>alert(1)</script>"}, "stats.bad_date", "日期格式有误"),
    ]
    for params, code, text in cases:
        resp = await console.get("/console/stats", params=params)
        assert resp.status_code == 422, (params, resp.status_code)
        assert resp.headers["x-console-error"] == f"422 {code}"
        assert text in resp.text and "<script>alert" not in resp.text
    too_long = await console.get("/console/stats", params={"from": "x" * 40})
    assert too_long.status_code == 422 and "<html" in too_long.text


async def test_the_page_costs_the_same_few_statements_however_much_data(
    console: Console, client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    await console.login(crew.admin)
    await roll_up_recent(services)
    with queries(services) as first:
        assert (await console.get("/console/stats")).status_code == 200
    await engaged(client, services, crew)
    await f.in_political(client, crew, topics=["emergency"], audiences=["youth", "workers"])
    await roll_up_recent(services)
    with queries(services) as second:
        assert (await console.get("/console/stats")).status_code == 200
    assert len(second) == len(first) <= 7, second


async def test_names_operators_wrote_are_shown_as_text(
    console: Console, services: Services, settings: Settings
) -> None:
    slug = f"stats-{secrets.token_hex(3)}"
    async with services.write_sessions() as session:
        await kit.add_discipline(session, slug, "<script>alert(1)</script>地质")
        owner = await f.user_in_session(session, "creator")
        political = await f.user_in_session(session, "political_reviewer")
        _, task_id = await f.political_task_in_session(session, settings, owner.id, discipline=slug)
        await review.decide(session, political, task_id, Action.approve, None)
        await session.commit()
    admin = await f.person(services, "admin")
    await console.login(admin)
    page = await console.get("/console/stats")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    row = next(r for r in tables(page.text)["table-backlog"] if r[1].endswith("地质"))
    assert row == ["科学审核", "<script>alert(1)</script>地质", "1", row[3]]
    labels = charts(page.text)["chart-backlog"]["data"]["labels"]
    assert "科学审核 · <script>alert(1)</script>地质" in labels  # text for Chart.js to draw
