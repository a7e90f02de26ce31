"""Operations: liveness, readiness (names the dependency that is down), Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from api import problems
from api.deps import ServicesDep
from content import jobs
from infra import readiness
from infra.services import Services

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops"])
JOBS_WAITING = Gauge(
    "kepu_jobs_waiting", "Jobs no worker took within KEPU_JOB_ALERT_AFTER_S (outbox rows)"
)
JOBS_OLDEST_WAIT = Gauge("kepu_jobs_oldest_wait_seconds", "How long the oldest such job waits")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses=problems.responses(503))
async def readyz(services: ServicesDep) -> Response:
    down = await readiness.unready(services)
    if down:
        return problems.problem(
            503,
            "dependency.down",
            "not ready: " + ", ".join(down) + " unreachable",
            headers={"Retry-After": "5"},
            down=down,
        )
    # Jobs waiting for a worker do not make this instance unready (it serves the API), so they
    # are reported, not failed on: see the README's "Jobs waiting for a worker".
    checks = dict.fromkeys(readiness.CHECKS, "ok")
    return JSONResponse({"status": "ready", "checks": checks, "jobs": await _jobs(services)})


async def _jobs(services: Services) -> dict[str, float | int] | None:
    """Jobs no worker took within the threshold (also set as gauges); None if not countable."""
    threshold = services.settings.job_alert_after_s
    try:
        async with services.read_sessions() as session:
            backlog = await asyncio.wait_for(
                jobs.backlog(session, threshold), readiness.CHECK_TIMEOUT_S
            )
    except Exception:  # a slow count must not turn a probe or a scrape into an error
        log.warning("could not count jobs waiting for a worker", exc_info=True)
        return None
    JOBS_WAITING.set(backlog.waiting)
    JOBS_OLDEST_WAIT.set(backlog.oldest_s)
    return {"waiting": backlog.waiting, "oldest_s": backlog.oldest_s, "threshold_s": threshold}


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    await _jobs(services)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
