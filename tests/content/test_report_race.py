"""One open report per person and content holds when the same person's reports race: every
racer reads in its own transaction on PostgreSQL and waits at a barrier until all have, then
files. Only the database's partial unique index can refuse all but one; a check in Python
before the insert would let every racer through."""

from __future__ import annotations

import asyncio

from sqlmodel import func, select

from content import reports
from content.errors import DomainError
from content.models import Report, ReportReason, User
from infra.services import Services
from tests import factories as f

RACERS = 4


async def _racer(
    services: Services, user_id: str, content_id: str, barrier: asyncio.Barrier
) -> str:
    async with services.write_sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        await session.exec(select(func.count()).select_from(Report))  # the transaction has begun
        await asyncio.wait_for(barrier.wait(), 30)
        try:
            await reports.file(session, user, content_id, ReportReason.rumor, "同时举报")
            await session.commit()
        except DomainError as exc:
            await session.rollback()
            return exc.code
        return "filed"


async def test_racing_reports_of_one_person_on_one_content_leave_exactly_one_open(
    services: Services,
) -> None:
    async with services.write_sessions() as session:
        view = await f.published_in_session(session, services.settings)
        viewer = await f.user_in_session(session, "viewer")
        await session.commit()
        content_id, viewer_id = view.content.id, viewer.id
    barrier = asyncio.Barrier(RACERS)
    outcomes = await asyncio.gather(
        *(_racer(services, viewer_id, content_id, barrier) for _ in range(RACERS))
    )
    assert sorted(outcomes) == ["filed"] + ["report.exists"] * (RACERS - 1)
    async with services.read_sessions() as session:
        count = await session.exec(
            select(func.count()).where(Report.content_id == content_id, Report.user_id == viewer_id)
        )
        assert count.one() == 1
