"""Operations: liveness, readiness (names the dependency that is down), Prometheus metrics.

What they say is for anyone who can reach them: readiness names a component, never a path, an
address or an exception (those go to the log); metrics need a token, or are off in production."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import ServicesDep, SettingsDep
from api.problems import problem
from infra.services import Services

router = APIRouter(tags=["ops"])
CHECK_TIMEOUT_S = 2.0
log = logging.getLogger("kepu.ops")
_bearer = HTTPBearer(auto_error=False)


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
    down: list[str] = []

    async def run(name: str) -> None:
        try:
            await asyncio.wait_for(checks[name](services), CHECK_TIMEOUT_S)
        except Exception as exc:  # any failure means "not ready": the log says why
            log.warning("readiness: %s is down: %s: %s", name, type(exc).__name__, exc)
            down.append(name)

    await asyncio.gather(*(run(n) for n in checks))
    if down:
        return problem(
            503,
            "dependency.down",
            "not ready: " + ", ".join(sorted(down)) + " unreachable",
            headers={"Retry-After": "5"},
            down=sorted(down),
        )
    return JSONResponse({"status": "ready", "checks": {n: "ok" for n in checks}})


@router.get("/metrics", response_model=None, response_class=PlainTextResponse)
async def metrics(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    token = settings.metrics_token
    if token is None:
        if settings.mode == "production":
            return problem(404, "not_found", "no such route")
    elif credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), token.encode()
    ):
        return problem(
            401,
            "auth.required",
            "metrics need Authorization: Bearer <KEPU_METRICS_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
