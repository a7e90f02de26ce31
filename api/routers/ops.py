"""Operations: liveness, readiness (names the dependency that is down), Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from sqlalchemy import text

from api.deps import ServicesDep
from api.problems import problem
from content import jobs
from infra.services import Services

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops"])
CHECK_TIMEOUT_S = 2.0
JOBS_WAITING = Gauge(
    "kepu_jobs_waiting", "Jobs no worker took within KEPU_JOB_ALERT_AFTER_S (outbox rows)"
)
JOBS_OLDEST_WAIT = Gauge("kepu_jobs_oldest_wait_seconds", "How long the oldest such job waits")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database(s: Services) -> None:
    async with s.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _redis(s: Services) -> None:
    await s.redis.ping()


async def _storage(s: Services) -> None:
    await s.storage.ping()


@router.get("/readyz", response_model=None)
async def readyz(services: ServicesDep) -> Response:
    checks = {"database": _database, "redis": _redis, "storage": _storage}
    down: dict[str, str] = {}

    async def run(name: str) -> None:
        try:
            await asyncio.wait_for(checks[name](services), CHECK_TIMEOUT_S)
        except Exception as exc:  # any failure means "not ready"; say which and why
            down[name] = f"{type(exc).__name__}: {exc}"[:300]

    await asyncio.gather(*(run(n) for n in checks))
    if down:
        return problem(
            503,
            "dependency.down",
            "not ready: " + ", ".join(sorted(down)) + " unreachable",
            headers={"Retry-After": "5"},
            down=down,
        )
    # Jobs waiting for a worker do not make this instance unready (it serves the API), so they
    # are reported, not failed on: see the README's "Jobs waiting" section.
    waiting = await _jobs_waiting(services)
    return JSONResponse({"status": "ready", "checks": {n: "ok" for n in checks}, "jobs": waiting})


async def _jobs_waiting(services: Services) -> dict[str, float | int]:
    threshold = services.settings.job_alert_after_s
    async with services.read_sessions() as session:
        backlog = await asyncio.wait_for(jobs.backlog(session, threshold), CHECK_TIMEOUT_S)
    JOBS_WAITING.set(backlog.waiting)
    JOBS_OLDEST_WAIT.set(backlog.oldest_s)
    return {"waiting": backlog.waiting, "oldest_s": backlog.oldest_s, "threshold_s": threshold}


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    try:
        await _jobs_waiting(services)
    except Exception:  # the database being away must not hide the other metrics
        log.warning("could not count waiting jobs for /metrics", exc_info=True)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
