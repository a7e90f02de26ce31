"""Running Kepu: `kepu serve`, `kepu worker`, `kepu db upgrade`."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from api.cli.common import fail, load_settings, open_session
from infra import datadir, db
from infra.logging import configure as configure_logging
from infra.redis import redis_url
from infra.replica import ReplicaRefused
from infra.sentinel import RedisRefused
from infra.services import check_replica, open_services
from infra.settings import Settings


def _check_redis(settings: Settings, url: str) -> None:
    """Exit with one line if Redis is configured wrong (api.preflight)."""
    from api.preflight import check_redis

    try:
        asyncio.run(check_redis(settings, url))
    except RedisRefused as exc:
        fail(f"cannot start: {exc}", exc)


def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[bool, typer.Option(help="run the job workers in this process")] = True,
) -> None:
    """Run the API (and, by default, the workers) — on embedded defaults unless configured."""
    import uvicorn

    from api.app import create_app

    settings = load_settings()
    update: dict[str, object] = {"run_embedded_worker": workers}
    if "public_api_base_url" not in settings.model_fields_set:
        # Local-disk upload URLs point back here unless a public address is configured.
        update["public_api_base_url"] = f"http://{host}:{port}"
    settings = settings.model_copy(update=update)
    # X-Forwarded-For is believed only from KEPU_FORWARDED_ALLOW_IPS (uvicorn's own default
    # would trust 127.0.0.1, so a local process could pose as any client to the rate limits).
    trusted = settings.forwarded_allow_ips
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(datadir.held(settings))
            asyncio.run(check_replica(settings))
        except (datadir.DataDirBusy, ReplicaRefused) as exc:
            typer.secho(f"cannot start: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from exc
        if settings.redis_url:  # the bundled Redis is this installation's alone
            _check_redis(settings, settings.redis_url)
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_config=None,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
        )


def worker() -> None:
    """Run job workers only (as many processes as needed, on the shared queue). It outlives
    Redis faults: it reconnects, with growing pauses, until Redis is back. SIGINT or SIGTERM
    stop it, handing its running jobs back to the queue."""
    import anyio

    from api.app import STORAGE_ROUTE
    from workers.supervisor import WorkerSupervisor, run_until_signalled

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_json)
    with redis_url(settings) as url:
        _check_redis(settings, url)
        supervisor = WorkerSupervisor(
            settings,
            url,
            lambda: open_services(settings, storage_route=STORAGE_ROUTE, redis=url),
        )
        anyio.run(run_until_signalled, supervisor)


db_app = typer.Typer(help="Database tasks.")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations (and the reference data every installation starts with)."""
    settings = load_settings()
    db.upgrade(settings.resolved_database_url(), revision)

    async def _seed() -> None:
        async with open_session(settings) as session:
            await session.commit()

    asyncio.run(_seed())
    typer.echo(f"database at {revision}")
