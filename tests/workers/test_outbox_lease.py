"""A running job's outbox row is its lease: a worker that finds its lease taken over (it went
quiet long enough for another worker to be given the job) stops its copy and leaves the row to
the new holder; a worker that is stopped hands its job back at once. The worker's own outbox
middleware and heartbeat, on the real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col
from streaq.types import TaskContext

from content import jobs
from content.models import JobOutbox
from infra.clock import utcnow
from infra.services import Services
from tests.helpers import eventually
from workers.app import _write
from workers.outbox import Outbox


@pytest.fixture
async def row(services: Services) -> AsyncIterator[str]:
    """An outbox row for a job no worker registered (so only this test runs it)."""
    job = JobOutbox(name="test_only", args=["x"], subject="x")
    async with services.write_sessions() as session:
        session.add(job)
        await session.commit()
    yield job.id
    async with services.write_sessions() as session:
        await session.exec(sa.delete(JobOutbox).where(col(JobOutbox.id) == job.id))
        await session.commit()


async def _get(services: Services, outbox_id: str) -> JobOutbox | None:
    async with services.read_sessions() as session:
        return await session.get(JobOutbox, outbox_id)


def _running(services: Services, outbox: Outbox, delivery: str) -> asyncio.Task[object]:
    """A job that would run for ever, wrapped as the worker wraps every job, in its own task."""
    context = TaskContext(fn_name="test_only", task_id=delivery, timeout=None, tries=1, ttl=None)

    async def endless() -> str:
        await asyncio.Event().wait()
        return "finished"

    wrapped = outbox.middleware(lambda: context, lambda: services)(endless)
    return asyncio.create_task(wrapped())


async def _taken(services: Services, outbox_id: str, delivery: str) -> None:
    async def taken() -> bool:
        found = await _get(services, outbox_id)
        return found is not None and found.taken_by == delivery

    await eventually(taken, within=10)


async def test_a_job_whose_lease_was_taken_over_is_stopped_and_leaves_the_row_to_the_new_holder(
    services: Services, row: str
) -> None:
    outbox = Outbox(_write, relay_after_s=10**6)  # its heartbeat only: nothing to relay here
    first, second = jobs.task_id(row, 0), jobs.task_id(row, 1)
    beating = asyncio.create_task(outbox.run_forever(services))
    job = _running(services, outbox, first)
    try:
        await _taken(services, row, first)
        # The lease as another worker found it: quiet too long, taken over by a new delivery.
        quiet = utcnow() - timedelta(seconds=jobs.STALE_AFTER_S + 1)
        async with services.write_sessions() as session:
            await session.exec(
                sa.update(JobOutbox).where(col(JobOutbox.id) == row).values(heartbeat_at=quiet)
            )
            assert await jobs.take(session, row, second)
            await session.commit()

        # At its next beat the first worker finds the lease gone and stops its copy.
        result = await asyncio.wait_for(job, timeout=3 * jobs.HEARTBEAT_EVERY_S)
    finally:
        job.cancel()
        beating.cancel()
    assert result == "lease lost"
    after = await _get(services, row)
    assert after is not None and after.taken_by == second  # neither deleted nor given back


async def test_a_stopped_worker_hands_its_running_job_back_at_once(
    services: Services, row: str
) -> None:
    outbox = Outbox(_write, relay_after_s=10**6)
    delivery = jobs.task_id(row, 0)
    job = _running(services, outbox, delivery)
    await _taken(services, row, delivery)

    job.cancel()  # what streaq does to a running job when its worker stops
    with pytest.raises(asyncio.CancelledError):
        await job

    after = await _get(services, row)
    assert after is not None
    assert (after.taken_by, after.heartbeat_at) == (None, None)  # free for the next worker
    assert after.due_at <= utcnow()
