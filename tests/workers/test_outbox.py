"""The job outbox: a job exists exactly when the change that needs it committed, is taken by one
worker at a time, is relayed by exactly one of several relays, and shows in /readyz when it waits
too long. Real PostgreSQL, real Redis, the app's own worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from content import effects, jobs
from content.models import JobOutbox, Media, MediaKind, MediaStatus
from infra.clock import utcnow
from infra.services import Services
from tests import factories as f
from workers.app import sweep_once


async def _row(services: Services, outbox_id: str) -> JobOutbox | None:
    async with services.read_sessions() as session:
        return await session.get(JobOutbox, outbox_id)


async def _add(services: Services, **values: object) -> str:
    """An outbox row for a job nobody registered (so no worker runs it), with ``values``."""
    row = JobOutbox(**{"name": "test_only", "args": ["x"], "subject": "x", **values})
    async with services.write_sessions() as session:
        session.add(row)
        await session.commit()
    return row.id


@pytest.fixture
async def cleanup(services: Services) -> AsyncIterator[list[str]]:
    ids: list[str] = []
    yield ids
    async with services.write_sessions() as session:
        await session.exec(sa.delete(JobOutbox).where(col(JobOutbox.id).in_(ids)))
        await session.commit()


async def test_a_job_is_written_with_its_change_and_not_at_all_on_rollback(
    services: Services, cleanup: list[str]
) -> None:
    async with services.write_sessions() as session:
        jobs.after_commit(session, "test_only", "rolled-back")
        await session.rollback()
    async with services.write_sessions() as session:
        jobs.after_commit(session, "test_only", "kept", 2)
        await session.commit()
        (pending,) = effects.take(session).jobs
    outbox_id = jobs.outbox_id_of(pending.task_id or "")
    assert outbox_id is not None
    cleanup.append(outbox_id)
    row = await _row(services, outbox_id)
    assert row is not None
    assert (row.name, row.args, row.subject) == ("test_only", ["kept", 2], "kept")
    async with services.read_sessions() as session:
        gone = await session.exec(select(JobOutbox).where(JobOutbox.subject == "rolled-back"))
        assert gone.all() == []


async def test_a_running_job_is_not_taken_by_a_second_delivery_unless_its_worker_went_quiet(
    services: Services, cleanup: list[str]
) -> None:
    outbox_id = await _add(services)
    cleanup.append(outbox_id)
    first, relayed = jobs.task_id(outbox_id, 0), jobs.task_id(outbox_id, 1)

    async def take(delivery: str) -> bool:
        async with services.write_sessions() as session:
            taken = await jobs.take(session, outbox_id, delivery)
            await session.commit()
        return taken

    assert await take(first)
    assert not await take(relayed)  # the first is alive: the duplicate does nothing
    assert not await take(first)  # nor the queue handing the live delivery out again
    quiet = utcnow() - timedelta(seconds=jobs.STALE_AFTER_S + 1)
    async with services.write_sessions() as session:
        await session.exec(
            sa.update(JobOutbox).where(col(JobOutbox.id) == outbox_id).values(heartbeat_at=quiet)
        )
        await session.commit()
    assert await take(relayed)  # its worker went quiet: the relayed delivery takes over
    row = await _row(services, outbox_id)
    assert row is not None and row.taken_by == relayed


async def test_of_two_relays_at_once_exactly_one_enqueues_a_job_again(
    services: Services, cleanup: list[str]
) -> None:
    # Overdue for a relay waiting 1 s, not yet for the app's own (KEPU_JOB_RELAY_AFTER_S=10).
    outbox_id = await _add(services, due_at=utcnow() - timedelta(seconds=3))
    cleanup.append(outbox_id)
    both_read = asyncio.Barrier(2)

    async def relay() -> list[str]:
        async with services.read_sessions() as session:
            rows = [r for r in await jobs.overdue(session, 1.0) if r.id == outbox_id]
        await both_read.wait()
        async with services.write_sessions() as session:
            claimed = await jobs.claim(session, rows, 1.0)
            await session.commit()
        return [job.task_id or "" for job in claimed]

    results = await asyncio.gather(relay(), relay())
    assert sorted(results, key=len) == [[], [jobs.task_id(outbox_id, 1)]]
    row = await _row(services, outbox_id)
    assert row is not None and row.relays == 1 and row.taken_by is None


async def test_readyz_reports_jobs_no_worker_took_in_time(
    client: httpx.AsyncClient, services: Services, cleanup: list[str]
) -> None:
    before = (await client.get("/readyz")).json()["jobs"]["waiting"]
    # Given up on by the relay, so it stays until someone looks.
    stale = utcnow() - timedelta(hours=1)
    cleanup.append(await _add(services, due_at=stale, relays=jobs.MAX_RELAYS))
    resp = await client.get("/readyz")
    assert resp.status_code == 200  # the API still serves; the workers need attention
    report = resp.json()["jobs"]
    assert report["waiting"] == before + 1
    assert report["oldest_s"] >= 3600
    assert report["threshold_s"] == services.settings.job_alert_after_s
    metrics = (await client.get("/metrics")).text
    assert f"kepu_jobs_waiting {float(before + 1)}" in metrics


def _gauge(metrics: str, name: str) -> float:
    (value,) = [line.split()[1] for line in metrics.splitlines() if line.startswith(name + " ")]
    return float(value)


async def test_metrics_count_jobs_due_and_not_taken_for_the_worker_autoscaler(
    client: httpx.AsyncClient, services: Services, cleanup: list[str]
) -> None:
    metrics = (await client.get("/metrics")).text
    before, alerts = _gauge(metrics, "kepu_jobs_queued"), _gauge(metrics, "kepu_jobs_waiting")
    now = utcnow()
    # Counted: due a moment ago, and taken by a worker that stopped beating (it needs another).
    cleanup.append(await _add(services, due_at=now - timedelta(seconds=1)))
    quiet = now - timedelta(seconds=jobs.STALE_AFTER_S + 5)
    cleanup.append(await _add(services, taken_by="gone", taken_at=quiet, heartbeat_at=quiet))
    # Not counted: a retry due later, and a job a live worker runs.
    cleanup.append(await _add(services, due_at=now + timedelta(minutes=5)))
    cleanup.append(await _add(services, taken_by="live", taken_at=now, heartbeat_at=now))
    metrics = (await client.get("/metrics")).text
    assert _gauge(metrics, "kepu_jobs_queued") == before + 2
    # The alert gauge keeps its grace: none of these has waited KEPU_JOB_ALERT_AFTER_S yet.
    assert _gauge(metrics, "kepu_jobs_waiting") == alerts


async def test_sweep_gives_quiet_media_a_job_after_a_minute_but_leaves_live_jobs_alone(
    services: Services, cleanup: list[str]
) -> None:
    owner = await f.person(services, "creator")
    minute_ago = utcnow() - timedelta(seconds=90)
    async with services.write_sessions() as session:
        quiet, live = (
            Media(
                owner_id=owner.id,
                kind=MediaKind.video,
                object_key=f"uploads/{owner.id}/missing-{n}",
                size=1,
                status=MediaStatus.processing,
                updated_at=minute_ago,
            )
            for n in (1, 2)
        )
        session.add_all([quiet, live])
        await session.commit()
    # A transcode alive on some worker: taken, beating on its outbox row.
    cleanup.append(
        await _add(services, name=jobs.PROCESS_MEDIA, subject=live.id, taken_by="job-elsewhere-0")
    )
    async with services.write_sessions() as session:
        await session.exec(
            sa.update(JobOutbox)
            .where(col(JobOutbox.subject) == live.id)
            .values(heartbeat_at=utcnow(), taken_at=utcnow())
        )
        await session.commit()

    await sweep_once(services, review_after_s=10**6)

    async with services.read_sessions() as session:
        rows = (
            await session.exec(
                select(JobOutbox).where(col(JobOutbox.subject).in_([quiet.id, live.id]))
            )
        ).all()
    cleanup.extend(r.id for r in rows)
    asked = [r for r in rows if r.subject == quiet.id]
    assert [r.name for r in asked] == [jobs.PROCESS_MEDIA] or await _ran(services, quiet.id)
    assert [r.taken_by for r in rows if r.subject == live.id] == ["job-elsewhere-0"]


async def _ran(services: Services, media_id: str) -> bool:
    """The app's worker may already have run (and finished) the job the sweep asked for."""
    async with services.read_sessions() as session:
        media = await session.get(Media, media_id)
    return media is not None and media.attempts >= 1
