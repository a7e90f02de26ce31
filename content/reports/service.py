"""Filing a report, and resolving a content's open reports (dismiss, or take the content down)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts, items, kit, notifications, review
from content.errors import Conflict, NotFound
from content.models import (
    Content,
    ContentStatus,
    NotificationKind,
    Report,
    ReportAction,
    ReportReason,
    ReportStatus,
    Revision,
    Role,
    User,
)
from infra.clock import utcnow

MAX_DETAIL = 500
MAX_NOTE = 500


async def file(
    session: AsyncSession, user: User, content_id: str, reason: ReportReason, detail: str | None
) -> Report:
    """Report published content. A second open report by the same person on the same content
    is refused by the database's partial unique index, so two racing requests cannot both
    land."""
    detail = kit.clean_text(detail, "detail", MAX_DETAIL, required=False)
    content = await session.get(Content, content_id)
    if content is None or not review.is_public(content):
        raise NotFound("no such content", code="content.not_found")
    report = Report(content_id=content_id, user_id=user.id, reason=reason, detail=detail)
    try:
        async with session.begin_nested():
            session.add(report)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "you have already reported this content; operators are looking into it",
            code="report.exists",
        ) from exc
    return report


async def _title(session: AsyncSession, content: Content) -> str:
    revision_id = content.live_revision_id or content.working_revision_id
    revision = await session.get(Revision, revision_id) if revision_id else None
    return revision.title if revision is not None else ""


async def resolve(
    session: AsyncSession, admin: User, report_id: str, action: ReportAction, note: str | None
) -> tuple[Content, list[Report]]:
    """Close the content's open reports together — the one named and every other open one on
    that content, since one decision answers them all — with ``action``: dismiss leaves the
    content as it is; takedown takes it down through the takedown service with the named
    report's reason. Every reporter is told the outcome. Returns the content and the reports
    closed."""
    accounts.require_role(admin, Role.admin)
    note = kit.clean_text(note, "note", MAX_NOTE, required=False) or None
    report, content = await _open_report(session, report_id)
    open_reports = await _close_all(session, admin, content, action, note)
    title = await _title(session, content)
    if action == ReportAction.takedown and content.status != ContentStatus.taken_down:
        reason = f"用户举报（{notifications.texts.REASON_NAMES[report.reason]}）"
        if note:
            reason += f"：{note}"
        await items.takedown(session, admin, content.id, reason[:500])
    text = (
        notifications.texts.report_taken_down(title)
        if action == ReportAction.takedown
        else notifications.texts.report_dismissed(title)
    )
    for reporter in sorted({r.user_id for r in open_reports}):
        await notifications.tell(
            session,
            reporter,
            NotificationKind.report_outcome,
            text,
            content_id=content.id,
            data={"action": action.value},
        )
    return content, open_reports


async def _open_report(session: AsyncSession, report_id: str) -> tuple[Report, Content]:
    report = await session.get(Report, report_id)
    if report is None:
        raise NotFound("no such report", code="report.not_found")
    if report.status != ReportStatus.open:
        raise Conflict("this report was resolved already", code="report.resolved")
    content = await session.get(Content, report.content_id)
    if content is None:
        raise NotFound("no such report", code="report.not_found")
    return report, content


async def _close_all(
    session: AsyncSession, admin: User, content: Content, action: ReportAction, note: str | None
) -> list[Report]:
    """Resolve every open report on ``content``; they are returned as resolved."""
    open_reports = list(
        (
            await session.exec(
                select(Report).where(
                    Report.content_id == content.id, Report.status == ReportStatus.open
                )
            )
        ).all()
    )
    ids = [r.id for r in open_reports]
    now = utcnow()
    # Conditional on each still being open: of two operators resolving at once, one wins.
    closed = await session.exec(
        sa.update(Report)
        .where(col(Report.id).in_(ids), col(Report.status) == ReportStatus.open)
        .values(
            status=ReportStatus.resolved,
            resolution=action,
            note=note,
            resolved_by=admin.id,
            resolved_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != len(ids):
        raise Conflict("this report was resolved meanwhile", code="report.resolved")
    for r in open_reports:
        r.status, r.resolution, r.note, r.resolved_by, r.resolved_at = (
            ReportStatus.resolved, action, note, admin.id, now,
        )  # fmt: skip
    return open_reports
