"""Typed dependencies: the request's session, the current user, role checks, the services."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import AfterValidator
from sqlmodel.ext.asyncio.session import AsyncSession

from api.replica import WRITER, ReplicaFailed, note_write, sessions_for
from content.accounts import get_active_user
from content.drain import Drain
from content.errors import Unauthenticated
from content.models import User
from infra.ratelimit import client_address
from infra.replica import FAILURES, FALLBACKS
from infra.security import TokenError, read_token
from infra.services import Services
from infra.settings import Settings

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


@contextlib.asynccontextmanager
async def session_scope(request: Request, services: Services) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler returns (before the response is
    built, so a failed commit is an error response, not a lost write), rolled back on error.
    What the services declared for after the commit runs then (`content.drain`), before the
    response goes out: jobs enqueued, feeds brought in line on every API process. A public read
    may get a session on the database replica (api/replica.py); one that fails there is run
    again on the primary."""
    reading = request.method in _READ_METHODS
    caller = _caller(request, services.settings) if services.replica else None
    on_replica = await sessions_for(request, services, caller) if reading else None
    maker = on_replica or (services.read_sessions if reading else services.write_sessions)
    async with maker() as session:
        try:
            yield session
        except FAILURES as exc:
            await _rollback_quietly(session)
            if on_replica is None:
                raise
            FALLBACKS.labels("error").inc()
            raise ReplicaFailed(str(exc)) from exc
        except Unauthenticated as exc:
            await session.rollback()
            if on_replica is None or caller is None:
                raise
            # A token we signed for an account the replica does not know (yet): one made
            # moments ago, by a login elsewhere or the CLI. The primary decides.
            FALLBACKS.labels("account").inc()
            raise ReplicaFailed(str(exc)) from exc
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        if not reading:
            await note_write(services, session, caller or getattr(request.state, WRITER, None))
        drain: Drain = request.app.state.drain
        await drain.run(session)


async def _rollback_quietly(session: AsyncSession) -> None:
    # On a lost connection the rollback fails too; the error to report is the first one.
    with contextlib.suppress(*FAILURES):
        await session.rollback()


def _caller(request: Request, settings: Settings) -> str | None:
    """The user a request's token names, for reading and noting their own writes (a token
    that does not verify is refused by the route's own dependencies, not here)."""
    with contextlib.suppress(Unauthenticated):
        return bearer_user_id(request.headers.get("authorization"), settings)
    return None


async def get_session(request: Request, services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with session_scope(request, services) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def bearer_user_id(authorization: str | None, settings: Settings) -> str | None:
    """The user id an ``Authorization: Bearer <token>`` header names; None when the request sends
    no bearer token (another scheme counts as none, as FastAPI's HTTPBearer reads it). A token
    that does not verify (forged, expired) is Unauthenticated. No query: the cached feed page
    reads its viewer here without a session."""
    scheme, token = get_authorization_scheme_param(authorization)
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return read_token(token, settings.resolved_jwt_secret(), *settings.previous_jwt_secrets)
    except TokenError as exc:
        raise Unauthenticated(str(exc)) from exc


# The user's token as OpenAPI names it. Routes reading it through OptionalUser list it as
# optional, through CurrentUser as required (api/openapi.py derives which from these).
BEARER = "bearer"
BEARER_DESCRIPTION = "the access_token from /auth/token or /auth/wechat"
# For a route that reads the token by hand (the feed, to skip dependencies on a cache hit).
OPTIONAL_BEARER: list[dict[str, list[str]]] = [{}, {BEARER: []}]


class _AuthorizationHeader(SecurityBase):
    """The Authorization header as sent, for ``bearer_user_id``; OpenAPI lists it as the bearer
    scheme, as it would FastAPI's HTTPBearer. It never refuses a request itself."""

    auto_error = False

    def __init__(self) -> None:
        self.model = HTTPBearerModel()
        self.scheme_name = BEARER

    async def __call__(self, request: Request) -> str | None:
        return request.headers.get("authorization")


_authorization = _AuthorizationHeader()


async def get_optional_user(
    session: SessionDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Depends(_authorization)],
) -> User | None:
    user_id = bearer_user_id(authorization, settings)
    return None if user_id is None else await get_active_user(session, user_id)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise Unauthenticated(
            "log in first: send Authorization: Bearer <token>", code="auth.required"
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_client_address(request: Request, settings: SettingsDep) -> str:
    """The client's address as rate limits see it (trusting only KEPU_FORWARDED_ALLOW_IPS)."""
    return client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        settings.forwarded_allow_ips,
    )


ClientAddress = Annotated[str, Depends(get_client_address)]


def _blank_is_none(value: str | None) -> str | None:
    return value or None


# `?cursor=` (empty) is the first page, as the contract writes it, not a bad cursor.
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="from next_cursor"),
    AfterValidator(_blank_is_none),
]
Limit = Annotated[int, Query(ge=1, le=50)]
