"""Operations: liveness, readiness (names the dependency that is down), Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import ServicesDep
from api.problems import problem
from infra.services import Services

router = APIRouter(tags=["ops"])
CHECK_TIMEOUT_S = 2.0


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
    return JSONResponse({"status": "ready", "checks": {n: "ok" for n in checks}})


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
