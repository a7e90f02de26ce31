"""Console pages: 举报 — viewers' reports grouped by content, surges first, and resolving a
content's open reports (dismiss, or take the content down), through the same content/ services
as /api/v1/admin/reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from api.console import pages
from api.console.auth import Operator
from api.console.errors import back_to
from api.console.routes.contents import LABELS
from api.deps import Cursor, ServicesDep, SessionDep
from content import reports
from content.errors import Invalid
from content.models import ReportAction, ReportStatus

router = APIRouter()

PAGE_SIZE = 20
STATUS_CHOICES = {"open": "待处理", "resolved": "已处理", "all": "全部"}
ACTION_NAMES = {ReportAction.dismiss: "驳回举报", ReportAction.takedown: "下架内容"}


@router.get("/reports")
async def reports_index(
    request: Request,
    user: Operator,
    session: SessionDep,
    services: ServicesDep,
    status: Annotated[str, Query(max_length=16)] = "open",
    cursor: Cursor = None,
) -> Response:
    if status not in STATUS_CHOICES:
        raise Invalid(f"status: one of {', '.join(STATUS_CHOICES)}", field="status")
    surge = reports.Surge(
        services.settings.report_surge_count, services.settings.report_surge_minutes
    )
    wanted = None if status == "all" else ReportStatus(status)
    groups, next_cursor = await reports.groups(session, wanted, surge, cursor, PAGE_SIZE)
    return pages.render(
        request,
        "reports_index.html",
        groups=groups,
        status=status,
        choices=STATUS_CHOICES,
        next_cursor=next_cursor,
        surge=surge,
        actions=ACTION_NAMES,
        **LABELS,
    )


@router.post("/reports/{report_id}/resolve")
async def resolve(
    request: Request,
    report_id: str,
    user: Operator,
    session: SessionDep,
    action: Annotated[ReportAction, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    _content, closed = await reports.resolve(session, user, report_id, action, note or None)
    if action == ReportAction.takedown:
        text = f"已下架该内容，关闭 {len(closed)} 条举报，举报人会收到处理结果"
    else:
        text = f"已驳回 {len(closed)} 条举报，内容保持原状，举报人会收到处理结果"
    return pages.redirect(back_to(request, "/console/reports"), text)
