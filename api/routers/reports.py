"""Viewers report content; operators work through the reports, grouped by content."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from api import presenters, problems
from api.deps import CurrentUser, Cursor, Limit, ServicesDep, SessionDep
from api.routers.admin import Admin
from api.routers.interactions import within_limits
from api.schemas import Page, ReportGroupOut, ReportIn, ReportOut, ResolvedOut, ResolveIn
from content import reports
from content.models import ReportStatus

router = APIRouter(tags=["reports"])


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    dependencies=[Depends(within_limits)],
    responses=problems.responses(
        401,
        404,
        409,
        413,
        422,
        429,
        codes=["content.not_found", "report.exists", "invalid", "interaction.rate_limited"],
    ),
)
async def create_report(body: ReportIn, user: CurrentUser, session: SessionDep) -> ReportOut:
    report = await reports.file(session, user, body.content_id, body.reason, body.detail)
    return presenters.report_out(report)


@router.get(
    "/admin/reports",
    response_model=Page[ReportGroupOut],
    responses=problems.responses(401, 403, 422, codes=["auth.missing_role", "invalid"]),
)
async def list_reports(
    _admin: Admin,
    session: SessionDep,
    services: ServicesDep,
    status: Annotated[ReportStatus | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[ReportGroupOut]:
    surge = reports.Surge(
        services.settings.report_surge_count, services.settings.report_surge_minutes
    )
    groups, next_cursor = await reports.groups(session, status, surge, cursor, limit)
    return presenters.report_groups(groups, next_cursor)


@router.post(
    "/admin/reports/{report_id}/resolve",
    response_model=ResolvedOut,
    responses=problems.responses(
        401,
        403,
        404,
        409,
        413,
        422,
        codes=[
            "auth.missing_role",
            "report.not_found",
            "report.resolved",
            "workflow.invalid_state",
            "workflow.stale",
            "invalid",
        ],
    ),
)
async def resolve_report(
    report_id: str, body: ResolveIn, admin: Admin, session: SessionDep
) -> ResolvedOut:
    content, closed = await reports.resolve(session, admin, report_id, body.action, body.note)
    return presenters.resolved_out(content, closed)
