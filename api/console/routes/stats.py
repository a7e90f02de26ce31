"""Console page: 统计 — what /admin/stats answers (the same range rules and the same service),
and the review backlog as it stands, drawn as Chart.js charts with their numbers in tables."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.console import names, pages
from api.console.auth import Operator
from api.deps import SessionDep
from content import stats
from content.kit import AUDIENCES, TOPICS
from content.models import Stage

router = APIRouter()

Day = Annotated[str | None, Query(max_length=32)]

STAGES = names.STAGES
ACTIONS = names.ACTIONS
TYPES = names.TYPES
REASONS = names.REPORT_REASONS
TOPIC_NAMES = dict(TOPICS)
AUDIENCE_NAMES = dict(AUDIENCES)
UNLABELLED = "（未标注）"
# Dark enough to stand out on white; neighbours differ in hue and lightness.
PALETTE = ("#0b57b7", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#0e7490", "#be123c", "#475569")
SHORTCUTS = (7, 30, 90)


def _topic(slug: str) -> str:
    return TOPIC_NAMES.get(slug, slug) if slug else UNLABELLED


def _audience(slug: str) -> str:
    return AUDIENCE_NAMES.get(slug, slug) if slug else UNLABELLED


def _in_order(slugs: set[str], vocabulary: tuple[tuple[str, str], ...]) -> list[str]:
    known = [s for s, _ in vocabulary if s in slugs]
    return known + sorted(slugs - set(known))


def _unit(seconds: list[float]) -> tuple[str, float]:
    """The unit a chart of durations reads best in."""
    top = max(seconds, default=0.0)
    if top >= 2 * 3600:
        return "小时", 3600.0
    if top >= 120:
        return "分钟", 60.0
    return "秒", 1.0


def _day_labels(days: list[date]) -> list[str]:
    """Days as a chart's axis shows them: month-day, the year too when the range spans two."""
    if len({d.year for d in days}) > 1:
        return [d.isoformat() for d in days]
    return [d.strftime("%m-%d") for d in days]


def _chart(
    kind: str, labels: list[str], datasets: list[dict[str, Any]], **axes: Any
) -> dict[str, Any]:
    """A Chart.js config: no animation (drawn at once, for screenshots and reduced motion), the
    legend under the chart, the axis titles given."""
    for i, d in enumerate(datasets):
        colour = d.pop("colour", PALETTE[i % len(PALETTE)])
        d.setdefault("backgroundColor", colour)
        d.setdefault("borderColor", colour)
    scales: dict[str, Any] = {
        "x": {"title": {"display": bool(axes.get("x")), "text": axes.get("x", "")}},
        "y": {
            "beginAtZero": True,
            "title": {"display": bool(axes.get("y")), "text": axes.get("y", "")},
        },
    }
    if axes.get("stacked"):
        scales["x"]["stacked"] = scales["y"]["stacked"] = True
    return {
        "type": kind,
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "animation": False,
            "responsive": True,
            "maintainAspectRatio": False,
            "plugins": {"legend": {"position": "bottom"}},
            "scales": scales,
        },
    }


def _reach(o: stats.Overview) -> dict[str, Any]:
    topics = _in_order({s.topic for s in o.by_segment}, TOPICS)
    audiences = _in_order({s.audience for s in o.by_segment}, AUDIENCES)
    cell = {(s.topic, s.audience): s.reach for s in o.by_segment}

    def series(value: Any) -> list[dict[str, Any]]:
        return [
            {
                "label": _audience(a),
                "data": [value(cell[(t, a)]) if (t, a) in cell else None for t in topics],
            }
            for a in audiences
        ]

    labels = [_topic(t) for t in topics]
    views = _chart("bar", labels, series(lambda r: r.views), x="主题", y="浏览次数")
    rate = _chart(
        "bar",
        labels,
        series(lambda r: round(r.completion_rate * 100, 1)),
        x="主题",
        y="完成率（%）",
    )
    rate["options"]["scales"]["y"]["suggestedMax"] = 100
    rows = [
        {"topic": _topic(s.topic), "audience": _audience(s.audience), "reach": s.reach}
        for s in o.by_segment
    ]
    return {"views": views, "rate": rate, "rows": rows}


def _backlog(backlog: list[stats.StageBacklog]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for s in backlog:
        if s.by_discipline:
            rows += [
                {"stage": STAGES[s.stage], "discipline": d.name, "waiting": d.waiting}
                for d in s.by_discipline
            ]
        else:
            rows.append({"stage": STAGES[s.stage], "discipline": "—", "waiting": s.waiting})
    labels = [
        r["stage"] + ("" if r["discipline"] == "—" else f" · {r['discipline']}") for r in rows
    ]
    name, size = _unit([r["waiting"].oldest_wait_s for r in rows])
    chart = _chart(
        "bar",
        labels,
        [
            {"label": "待审任务", "data": [r["waiting"].open for r in rows], "yAxisID": "y"},
            {
                "label": f"最久等待（{name}）",
                "data": [round(r["waiting"].oldest_wait_s / size, 1) for r in rows],
                "yAxisID": "wait",
            },
        ],
        y="待审任务数",
    )
    chart["options"]["scales"]["wait"] = {
        "position": "right",
        "beginAtZero": True,
        "grid": {"drawOnChartArea": False},
        "title": {"display": True, "text": f"最久等待（{name}）"},
    }
    chart["options"]["scales"]["y"]["ticks"] = {"precision": 0}
    totals = {s.stage.value: s.waiting for s in backlog}
    return {"chart": chart, "rows": rows, "stages": backlog, "totals": totals}


def _latency(o: stats.Overview) -> dict[str, Any]:
    rows = [
        {"stage": STAGES[s.stage], "action": ACTIONS.get(s.action, s.action.value), "outcome": s}
        for s in o.stages
    ]
    name, size = _unit([s.max_in_stage_s for s in o.stages])
    by_outcome = _chart(
        "bar",
        [f"{r['stage']} · {r['action']}" for r in rows],
        [
            {"label": "平均停留", "data": [round(s.mean_in_stage_s / size, 1) for s in o.stages]},
            {"label": "最长停留", "data": [round(s.max_in_stage_s / size, 1) for s in o.stages]},
        ],
        y=f"在本阶段停留（{name}）",
    )
    days = o.throughput
    means = {(d.day, s): d.mean_in_stage_s(s) for d in days for s in Stage}
    day_name, day_size = _unit([m for m in means.values() if m is not None])
    per_day = _chart(
        "line",
        _day_labels([d.day for d in days]),
        [
            {
                "label": STAGES[s],
                "data": [
                    None if means[(d.day, s)] is None else round(means[(d.day, s)] / day_size, 1)  # type: ignore[operator]
                    for d in days
                ],
                "spanGaps": True,
                "pointRadius": 4,
            }
            for s in Stage
        ],
        x="日期",
        y=f"平均停留（{day_name}）",
    )
    day_rows = [{"day": d.day, "means": [means[(d.day, s)] for s in Stage]} for d in days]
    return {"chart": by_outcome, "rows": rows, "per_day": per_day, "day_rows": day_rows}


def _decisions(o: stats.Overview) -> dict[str, Any]:
    found = {d.day: d for d in o.throughput}
    every = o.range.each()
    datasets: list[dict[str, Any]] = [
        {
            "label": STAGES[s],
            "data": [found[d].by_stage[s] if d in found else 0 for d in every],
            "stack": "decisions",
        }
        for s in Stage
    ]
    datasets.append(
        {
            "type": "line",
            "label": "发布",
            "data": [found[d].published if d in found else 0 for d in every],
            "colour": "#1a1f29",
            "pointRadius": 2,
        }
    )
    chart = _chart("bar", _day_labels(every), datasets, x="日期", y="决定数")
    chart["options"]["scales"]["x"]["stacked"] = True
    chart["options"]["scales"]["y"]["stacked"] = True
    chart["options"]["scales"]["y"]["ticks"] = {"precision": 0}
    return {"chart": chart, "rows": o.throughput}


@router.get("/stats")
async def stats_index(
    request: Request,
    user: Operator,
    session: SessionDep,
    from_: Annotated[Day, Query(alias="from")] = None,
    to: Day = None,
) -> Response:
    days = stats.day_range(from_, to)
    overview = await stats.overview(session, days)
    backlog = await stats.review_backlog(session)
    today = stats.today()
    shortcuts = [
        (n, (today - timedelta(days=n - 1)).isoformat(), today.isoformat()) for n in SHORTCUTS
    ]
    return pages.render(
        request,
        "stats.html",
        o=overview,
        days=days,
        shortcuts=shortcuts,
        reach=_reach(overview),
        backlog=_backlog(backlog),
        latency=_latency(overview),
        decisions=_decisions(overview),
        stages=STAGES,
        stage_order=list(Stage),
        per_stage=lambda tail: [STAGES[s] + tail for s in Stage],
        types=TYPES,
        reasons=REASONS,
    )
