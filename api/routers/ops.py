"""Operations: liveness, readiness (names the dependency that is down, never why: that goes to
the log) and Prometheus metrics (behind a token, or off in production)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from api import problems
from api.deps import ServicesDep
from content import jobs
from infra import readiness
from infra.services import Services

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops"])
_bearer = HTTPBearer(auto_error=False)
JOBS_WAITING = Gauge(
    "kepu_jobs_waiting", "Jobs no worker took within KEPU_JOB_ALERT_AFTER_S (outbox rows)"
)
JOBS_OLDEST_WAIT = Gauge("kepu_jobs_oldest_wait_seconds", "How long the oldest such job waits")
CDN_PURGES_WAITING = Gauge(
    "kepu_cdn_purges_waiting", "Batches of removed public URLs the CDN purge hook has not taken"
)
CDN_PURGE_OLDEST = Gauge(
    "kepu_cdn_purge_oldest_seconds", "Age of the oldest batch the purge hook has not taken"
)
# The workers' autoscaling signal (deploy/k8s/autoscaling.yaml): the same count with no grace,
# so it rises as soon as work outpaces the workers, not only once an alert is due.
JOBS_QUEUED = Gauge("kepu_jobs_queued", "Jobs due that no worker has taken (outbox rows)")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses=problems.responses(422, 503))
async def readyz(
    services: ServicesDep,
    skip: Annotated[
        list[readiness.Component] | None,
        Query(description="components not to check (repeatable), e.g. storage for a probe"),
    ] = None,
) -> Response:
    # Kubernetes' readiness probe skips storage (deploy/k8s/api.yaml): feeds, details and
    # comments serve without it and media routes answer their own 503, whereas every replica
    # going unready at once would turn a media outage into a full one. The database and Redis
    # stay in: a replica that lost one while the others have it (a failover it did not follow)
    # is what a probe should take out. Monitoring asks for everything.
    skip = skip or []
    down = await readiness.unready(services, skip)
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
    checks = {c.value: "ok" for c in readiness.CHECKS if c not in skip}
    return JSONResponse({"status": "ready", "checks": checks, "jobs": await _jobs(services)})


async def _jobs(services: Services) -> dict[str, float | int] | None:
    """Jobs no worker took within the threshold (also set as gauges); None if not countable."""
    threshold = services.settings.job_alert_after_s
    backlog = await _backlog(services, threshold)
    if backlog is None:
        return None
    JOBS_WAITING.set(backlog.waiting)
    JOBS_OLDEST_WAIT.set(backlog.oldest_s)
    return {"waiting": backlog.waiting, "oldest_s": backlog.oldest_s, "threshold_s": threshold}


async def _backlog(services: Services, older_than_s: float) -> jobs.Backlog | None:
    try:
        async with services.read_sessions() as session:
            return await asyncio.wait_for(
                jobs.backlog(session, older_than_s), readiness.CHECK_TIMEOUT_S
            )
    except Exception:  # a slow count must not turn a probe or a scrape into an error
        log.warning("could not count jobs waiting for a worker", exc_info=True)
        return None


@router.get(
    "/metrics",
    response_model=None,
    response_class=PlainTextResponse,
    responses=problems.responses(401, 404, codes=["not_found"]),
)
async def metrics(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    token = services.settings.metrics_token
    if token is None:
        if services.settings.mode == "production":
            return problems.problem(404, "not_found", "no such route")
    elif credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), token.encode()
    ):
        return problems.problem(
            401,
            "auth.required",
            "metrics need Authorization: Bearer <KEPU_METRICS_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    await _jobs(services)
    await _cdn_purges(services)
    if (queued := await _backlog(services, 0.0)) is not None:
        JOBS_QUEUED.set(queued.waiting)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _cdn_purges(services: Services) -> None:
    """The purges not taken yet (docs/cdn.md), as gauges; left as they were if not countable."""
    try:
        async with services.read_sessions() as session:
            waiting = await asyncio.wait_for(
                jobs.pending(session, jobs.PURGE_CDN), readiness.CHECK_TIMEOUT_S
            )
    except Exception:  # a slow count must not turn a scrape into an error
        log.warning("could not count the CDN purges waiting", exc_info=True)
        return
    CDN_PURGES_WAITING.set(waiting.waiting)
    CDN_PURGE_OLDEST.set(waiting.oldest_s)
