"""Operations: liveness, readiness (names the dependency that is down), Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import problems
from api.deps import ServicesDep
from infra import readiness

router = APIRouter(tags=["ops"])


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
    return JSONResponse({"status": "ready", "checks": dict.fromkeys(readiness.CHECKS, "ok")})


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
