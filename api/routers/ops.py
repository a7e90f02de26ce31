"""Operations: liveness, readiness (names the dependency that is down), Prometheus metrics.

What they say is for anyone who can reach them: readiness names a component, never a path, an
address or an exception (those go to the log); metrics need a token, or are off in production."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import problems
from api.deps import ServicesDep, SettingsDep
from infra import readiness

router = APIRouter(tags=["ops"])
_bearer = HTTPBearer(auto_error=False)


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


@router.get(
    "/metrics",
    response_model=None,
    response_class=PlainTextResponse,
    responses=problems.responses(401, 404),
)
async def metrics(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    token = settings.metrics_token
    if token is None:
        if settings.mode == "production":
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
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
