"""Reports, the operators' report list, and notifications as the contract shows them."""

from __future__ import annotations

from api import schemas
from content.models import Content, Notification, Report
from content.reports import Group


def report_out(r: Report) -> schemas.ReportOut:
    return schemas.ReportOut(
        id=r.id,
        content_id=r.content_id,
        reason=r.reason,
        detail=r.detail,
        status=r.status,
        created_at=r.created_at,
    )


def report_groups(
    groups: list[Group], next_cursor: str | None
) -> schemas.Page[schemas.ReportGroupOut]:
    return schemas.Page[schemas.ReportGroupOut](
        items=[
            schemas.ReportGroupOut(
                content_id=g.content_id,
                title=g.title,
                status=g.status,
                reports=g.reports,
                open=g.open,
                reasons=g.reasons,
                latest_at=g.latest_at,
                surge=g.surge,
                items=[
                    schemas.ReportItemOut(
                        id=r.id,
                        reason=r.reason,
                        detail=r.detail,
                        status=r.status,
                        resolution=r.resolution,
                        created_at=r.created_at,
                    )
                    for r in g.items
                ],
            )
            for g in groups
        ],
        next_cursor=next_cursor,
    )


def resolved_out(content: Content, closed: list[Report]) -> schemas.ResolvedOut:
    assert closed and closed[0].resolution is not None
    return schemas.ResolvedOut(
        content_id=content.id,
        content_status=content.status,
        action=closed[0].resolution,
        resolved=[r.id for r in closed],
    )


def notifications_out(
    rows: list[Notification], unread: int, next_cursor: str | None
) -> schemas.NotificationsOut:
    return schemas.NotificationsOut(
        items=[
            schemas.NotificationOut(
                id=n.id,
                kind=n.kind,
                text=n.text,
                content_id=n.content_id,
                created_at=n.created_at,
                read=n.read_at is not None,
            )
            for n in rows
        ],
        unread=unread,
        next_cursor=next_cursor,
    )


def marked_out(marked: int, unread: int) -> schemas.MarkedOut:
    return schemas.MarkedOut(marked=marked, unread=unread)
