"""The FastAPI application: lifespan (clients, migrations, the embedded worker) and routers."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable

import anyio
from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware

from api import console, openapi, preflight, problems
from api.fastpath import CachedPages, PageSource
from api.feedcache import feed_runtime
from api.middleware import BodyLimit, RequestContext, SecurityHeaders
from api.replica import RetryOnPrimary, replica_monitor
from api.routers import (
    admin,
    auth,
    comments,
    contents,
    feed,
    interactions,
    me,
    notifications,
    ops,
    reports,
    review,
    search,
    stats,
    storage,
    uploads,
    users,
)
from content.drain import Drain
from content.seed import seed
from infra.logging import configure as configure_logging
from infra.services import Services, open_services, unreachable
from infra.settings import Settings, get_settings
from workers.supervisor import STOP_GRACE_S, WorkerSupervisor

API_PREFIX = "/api/v1"
# Where local-disk storage's signed URLs point (unused with S3): the storage router's path.
STORAGE_ROUTE = f"{API_PREFIX}{storage.ROUTE}"
log = logging.getLogger("kepu.app")


async def _seed(services: Services) -> None:
    async with services.write_sessions() as session:
        await seed(session)
        await session.commit()


@contextlib.asynccontextmanager
async def _opened(settings: Settings) -> AsyncIterator[Services]:
    async with contextlib.AsyncExitStack() as stack:
        try:
            opening = open_services(
                settings, storage_route=STORAGE_ROUTE, migrate=settings.mode == "dev", replica=True
            )
            services = await stack.enter_async_context(opening)
        except Exception as exc:
            if (cause := unreachable(exc)) is not None:
                log.error(
                    "cannot start: a dependency is unreachable (%s); check that the database "
                    "and Redis are up, or KEPU_DATABASE_URL and KEPU_REDIS_URL",
                    cause,
                )
            raise
        yield services


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    pages = PageSource()
    app = FastAPI(
        title="Kepu API",
        version="0.1.0",
        lifespan=_lifespan(settings, pages),
        openapi_url=f"{API_PREFIX}/openapi.json",
        generate_unique_id_function=openapi.operation_id,
        # Served by api.openapi from local assets, not FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    problems.install(app)
    _add_middleware(app, settings, pages)
    _add_routes(app, settings)
    openapi.install(app, settings, API_PREFIX)
    return app


def _lifespan(
    settings: Settings, pages: PageSource
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Dev mode (the embedded default) migrates by itself; production runs `kepu db upgrade`.
        async with (
            _opened(settings) as services,
            feed_runtime(services) as feeds_runtime,
            replica_monitor(services.replica),
        ):
            await _seed(services)
            await preflight.claim(services)
            app.state.services = services
            app.state.feeds = feeds_runtime
            pages.runtime = feeds_runtime
            # After a commit, this process drops its pages at once and tells the others.
            app.state.drain = Drain(services, feeds_runtime.invalidate)
            # Everything loaded so far (screening's dictionaries: ~300 000 objects) lives as long
            # as the process: out of the collector's sight, or each full pass walks it all and
            # stalls a request by a few hundred milliseconds (benchmarks/console_review.py).
            gc.freeze()
            try:
                if not settings.run_embedded_worker:
                    yield
                    return
                async with _embedded_worker(app, settings, services):
                    yield
            finally:
                pages.runtime = None

    return lifespan


@contextlib.asynccontextmanager
async def _embedded_worker(
    app: FastAPI, settings: Settings, services: Services
) -> AsyncIterator[None]:
    """The worker beside the API: started again after a Redis fault while the API keeps
    serving; on shutdown its running jobs are handed back to the queue."""
    worker = WorkerSupervisor(
        settings, services.redis_url, lambda: contextlib.nullcontext(services)
    )
    app.state.worker = worker
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.run)
        yield
        worker.stop()
        tg.cancel_scope.deadline = anyio.current_time() + STOP_GRACE_S


def _add_middleware(app: FastAPI, settings: Settings, pages: PageSource) -> None:
    app.add_middleware(RetryOnPrimary)  # innermost: a retry is the same request to the others
    app.add_middleware(
        BodyLimit,
        limit=settings.max_request_bytes,
        exempt_prefix=f"{STORAGE_ROUTE}/",
        pages=(console.PREFIX, console.too_large),
    )
    if settings.cors_origin_list:
        # Only the configured origins (the mini-program's web views, the console); no
        # credentials by cookie across origins: the API takes bearer tokens.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After", "ETag"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)
    # Outermost: a signed-out hit on a cached feed page or detail skips everything above.
    app.add_middleware(CachedPages, source=pages, prefix=API_PREFIX)


def _add_routes(app: FastAPI, settings: Settings) -> None:
    if settings.benchmark_routes:  # beside the feed, so both pay the same routing
        _add_benchmark_routes(app)
    # Starlette tries routes in order: what viewers call most (feeds, details) comes first,
    # which measurably speeds a cached feed page (each route passed is a regex match).
    for module in (
        feed,
        contents,
        interactions,
        comments,
        search,
        users,
        auth,
        me,
        notifications,
        reports,
        uploads,
        review,
        stats,
        admin,
        ops,
        storage,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    # Probes also answer at the root, where load balancers look for them (documented once,
    # under the prefix: one operation, one id, one method in a generated client).
    app.include_router(ops.router, include_in_schema=False)
    # The reviewers' and operators' web pages (after the API: viewers' routes match first).
    console.install(app)


def _add_benchmark_routes(app: FastAPI) -> None:
    """A constant body of a given size, the baseline benchmarks/feed_throughput.py compares
    the feed against (same app, same middleware, nothing else)."""
    bodies: dict[int, bytes] = {}

    @app.get(f"{API_PREFIX}/_bench/bare/{{size}}", include_in_schema=False)
    async def bare(size: int) -> Response:
        body = bodies.get(size)
        if body is None:
            body = bodies.setdefault(size, b'{"items":"' + b"x" * max(size - 12, 0) + b'"}')
        return Response(body, media_type="application/json")
