"""Which requests read from the database replica (infra/replica.py), and the retry on the
primary of a read the replica failed (docs/operations.md, "Database replica")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Request
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra import replica
from infra.services import Services

log = logging.getLogger("kepu.replica")

# Public reads (paths as their routers declare them, under /api/v1): what anyone may see, the
# same for everyone but a caller's own marks. Everything else reads the primary: the author's
# drafts, media and uploads, /me/*, the reviewers' tasks, the console and admin, whose callers
# act on what they just wrote.
REPLICA_READS = frozenset(
    {
        "/feed",
        "/topics",
        "/audiences",
        "/disciplines",
        "/contents/{content_id}",
        "/contents/{content_id}/comments",
        "/contents/{content_id}/comments/{comment_id}/replies",
        "/search",
        "/users/{user_id}",
        "/users/{user_id}/contents",
        "/rankings",
    }
)
_PRIMARY_ONLY = "kepu_primary_only"  # set in the request's state for its retry
# The user a write without a token was for (a login that made the account): the request's
# state names them for `note_write`.
WRITER = "kepu_writer"


def wrote_as(request: Request, user_id: str) -> None:
    setattr(request.state, WRITER, user_id)


UNKNOWN_POSITION = 2**64 - 1  # past anything a replica replays


class ReplicaFailed(Exception):
    """A read on the replica failed; `RetryOnPrimary` runs the request again on the primary."""


def _wrote_key(services: Services, user_id: str) -> str:
    return f"{services.settings.redis_prefix}:replica:wrote:{user_id}"


async def sessions_for(
    request: Request, services: Services, user_id: str | None
) -> async_sessionmaker[AsyncSession] | None:
    """The replica's sessions if this read may go there now (``user_id``: the caller, whose
    own writes it must show), else None."""
    standby = services.replica
    if standby is None or request.method not in ("GET", "HEAD"):
        return None
    # The route as its router declared it, without the prefix it was included under.
    path = getattr(request.scope.get("route"), "path", "")
    if path not in REPLICA_READS or request.scope.get("state", {}).get(_PRIMARY_ONLY):
        return None
    wrote = 0
    if user_id is not None:
        try:
            wrote = await replica.last_write(services.redis, _wrote_key(services, user_id))
        except (RedisError, OSError):
            replica.FALLBACKS.labels("own_write").inc()
            return None
    if (reason := standby.refusal(wrote)) is not None:
        replica.FALLBACKS.labels(reason).inc()
        return None
    return services.replica_sessions


async def note_write(services: Services, session: AsyncSession, user_id: str | None) -> None:
    """After ``user_id``'s write committed: their reads wait for the replica to replay it."""
    if services.replica is None or user_id is None:
        return
    try:
        position = replica.lsn(await session.scalar(text("SELECT pg_current_wal_lsn()")))
        await session.rollback()  # end the transaction that query began
    except replica.FAILURES as exc:
        # The write is committed: answer it. Not knowing where the primary is, keep this user
        # on the primary for as long as a mark lives.
        log.warning("could not read the primary's WAL position after a write: %s", exc)
        position = UNKNOWN_POSITION
    try:
        ttl = replica.mark_ttl_s(services.settings.replica_max_lag_s)
        await replica.note_write(services.redis, _wrote_key(services, user_id), position, ttl)
    except (RedisError, OSError) as exc:
        log.warning("could not note a write for read-your-writes (Redis unavailable): %s", exc)


@contextlib.asynccontextmanager
async def replica_monitor(standby: replica.Replica | None) -> AsyncIterator[None]:
    """Keeps ``standby``'s state current while the app serves; its first look is taken before
    the first request, so a healthy replica is read from the start."""
    if standby is None:
        yield
        return
    await standby.check()
    task = asyncio.create_task(standby.run(), name="replica-monitor")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class RetryOnPrimary:
    """Runs a read again on the primary when the replica failed it, before any byte of the
    answer went out: a replica restarting or lost costs a read the primary can answer nothing
    but time, never a 503."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ReplicaFailed as exc:
            if started:
                raise
            log.warning("a read failed on the replica, retried on the primary: %s", exc.__cause__)
            scope.setdefault("state", {})[_PRIMARY_ONLY] = True
            await self.app(scope, receive, send)
