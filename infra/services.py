"""The long-lived clients of a process (database engines, Redis, storage, queue, HTTP), built
once at start-up and closed at shutdown."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import redis.asyncio as aioredis
from coredis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from infra import db
from infra.queue import JobQueue, job_queue
from infra.redis import make_client, redis_url
from infra.replica import CHECK_TIMEOUT_S, FAILURES, Replica, verify
from infra.settings import Settings
from infra.storage.base import Storage, StorageUnavailable
from infra.storage.factory import build_storage

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    read_sessions: async_sessionmaker[AsyncSession]
    # Writers on SQLite take the write lock up front (BEGIN IMMEDIATE), so a transaction that
    # read first cannot fail later on upgrading its lock; on PostgreSQL both are the same.
    write_sessions: async_sessionmaker[AsyncSession]
    redis_url: str
    redis: aioredis.Redis
    storage: Storage
    queue: JobQueue
    http: httpx.AsyncClient
    # Public reads' sessions on the streaming replica, with what decides when they may be
    # used (infra/replica.py); None without KEPU_DATABASE_REPLICA_URL.
    replica: Replica | None = None
    replica_sessions: async_sessionmaker[AsyncSession] | None = None


def unreachable(exc: BaseException) -> BaseException | None:
    """The failed connection in ``exc`` (or grouped inside it), if that is what it is."""
    if isinstance(exc, BaseExceptionGroup):
        return next((found for e in exc.exceptions if (found := unreachable(e))), None)
    return exc if isinstance(exc, OSError | RedisConnectionError) else None


def _write_engine(url: str) -> AsyncEngine:
    engine = db.make_engine(url)

    @event.listens_for(engine.sync_engine, "begin")
    def _immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "connect")
    def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE instead of pysqlite's own BEGIN.
        dbapi_conn.isolation_level = None

    return engine


def _snapshot_reads(engine: AsyncEngine) -> AsyncEngine:
    """Read sessions see one snapshot from their first statement to their end. A detail reads
    its content and its revision in separate statements; under PostgreSQL's default (a snapshot
    per statement) a decision committed between them showed the content's old status with the
    revision's new stage. Read-only work never fails under REPEATABLE READ; writes stay on the
    default isolation, where racing conditional UPDATEs are settled by their row counts.
    (SQLite's read sessions run their SELECTs outside a transaction: the same skew remains
    possible there, for a moment, on the single-process embedded default.)"""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    storage_route: str,
    migrate: bool = False,
    redis: str | None = None,
    replica: bool = False,
) -> AsyncIterator[Services]:
    """Open every client; ``redis`` is the URL of a Redis already started by the caller, and
    ``storage_route`` the API's path for local-disk storage URLs (see `build_storage`).
    ``replica``: open the configured database replica too (API processes; workers read what
    they wrote, on the primary), raising ReplicaRefused if it must not be used."""
    settings.resolved_jwt_secret()  # a data dir we cannot write fails here, not at first login
    url = settings.resolved_database_url()
    if migrate:
        await anyio.to_thread.run_sync(db.upgrade, url)
    engine = db.make_engine(url)
    write_engine = _write_engine(url) if url.startswith("sqlite") else engine
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        if write_engine is not engine:
            stack.push_async_callback(write_engine.dispose)
        rurl = redis or stack.enter_context(redis_url(settings))
        client = make_client(rurl)
        stack.push_async_callback(client.aclose)
        storage = build_storage(settings, storage_route=storage_route)
        stack.push_async_callback(storage.aclose)
        try:
            await storage.ensure_bucket()
        except StorageUnavailable as exc:  # serve what we can; /readyz names storage as down
            log.warning("object storage unreachable at start-up: %s", exc)
        queue = await stack.enter_async_context(job_queue(settings, rurl))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=settings.wechat_timeout_s))
        standby = await _open_replica(settings, engine, stack) if replica else None
        yield Services(
            settings=settings,
            engine=engine,
            read_sessions=db.make_sessionmaker(_snapshot_reads(engine)),
            write_sessions=db.make_sessionmaker(write_engine),
            redis_url=rurl,
            redis=client,
            storage=storage,
            queue=queue,
            http=http,
            replica=standby,
            replica_sessions=(
                db.make_sessionmaker(_snapshot_reads(standby.engine)) if standby else None
            ),
        )


async def check_replica(settings: Settings) -> None:
    """Raise ReplicaRefused if KEPU_DATABASE_REPLICA_URL must not be used, for `kepu serve` to
    refuse before it serves; one that does not answer passes (see `_open_replica`)."""
    url = settings.resolved_replica_url()
    if url is None:
        return
    primary = db.make_engine(settings.resolved_database_url())
    engine = db.make_engine(url, connect_args={"timeout": CHECK_TIMEOUT_S})
    try:
        await verify(primary, engine)
    except FAILURES:
        pass  # the lifespan says so, in the server's log
    finally:
        await primary.dispose()
        await engine.dispose()


async def _open_replica(
    settings: Settings, primary: AsyncEngine, stack: contextlib.AsyncExitStack
) -> Replica | None:
    url = settings.resolved_replica_url()
    if url is None:
        return None
    # Fail fast: a replica that does not answer costs a read its fallback, not a long wait.
    engine = db.make_engine(url, connect_args={"timeout": CHECK_TIMEOUT_S})
    stack.push_async_callback(engine.dispose)
    standby = Replica(primary, engine, settings.replica_max_lag_s)
    try:
        await verify(primary, engine)
        standby.verified = True
    except FAILURES as exc:
        # Start on the primary rather than refuse: a replica restarting, or rebuilt, during a
        # deploy must not keep the API down while the primary can answer everything. The
        # monitor checks it the same way once it answers, and only then reads from it.
        log.warning(
            "the database replica (KEPU_DATABASE_REPLICA_URL) is unreachable: %s; reading from "
            "the primary until it answers",
            exc,
        )
    return standby
