"""The test session's real services: PostgreSQL (a fresh database per run, built by the
migrations), Redis (a queue and key prefix per run), SeaweedFS as the S3 server, a WeChat stub,
and the app itself with its embedded worker, driven through httpx."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from infra.services import Services
from infra.settings import Settings
from tests import wechat_stub
from tests.s3server import S3ServerInfo, run_seaweedfs

PG_ADMIN_URL = os.environ.get("KEPU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("KEPU_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN = secrets.token_hex(4)


@pytest.fixture(scope="session")
def s3() -> Iterator[S3ServerInfo]:
    with run_seaweedfs() as info:
        yield info


@pytest.fixture(scope="session")
def wechat_url() -> Iterator[str]:
    with wechat_stub.run_wechat_stub() as url:
        yield url


@pytest.fixture(scope="session")
async def pg_url() -> AsyncIterator[str]:
    name = f"kepu_test_{RUN}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def settings(
    pg_url: str, s3: S3ServerInfo, wechat_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        mode="dev",
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=pg_url,
        redis_url=REDIS_URL,
        queue_name=f"kepu-test-{RUN}",
        redis_prefix=f"kepu-test-{RUN}",
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_bucket=f"kepu-test-{RUN}",
        s3_region=s3.region,
        jwt_secret=secrets.token_urlsafe(48),
        wechat_appid=wechat_stub.APPID,
        wechat_secret=wechat_stub.SECRET,
        wechat_base_url=wechat_url,
        wechat_timeout_s=1.0,
        worker_idle_timeout_s=5,
        claim_lease_seconds=60,
        upload_quota_bytes_per_day=2 * 1024**3,
    )


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kepu.test") as client:
            yield client


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan in a task of its own: pytest-asyncio may set a fixture up and tear
    it down in different tasks, and the lifespan's task group must exit where it entered."""
    ready: asyncio.Future[httpx.AsyncClient] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def host() -> None:
        try:
            async with running(app) as client:
                ready.set_result(client)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    task = asyncio.create_task(host())
    try:
        yield await ready
    finally:
        stop.set()
        await task


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with serving(application) as client:
        application.state.test_client = client
        yield application


@pytest.fixture(scope="session")
def services(app: FastAPI) -> Services:
    svc: Services = app.state.services
    return svc


@pytest.fixture
def client(app: FastAPI) -> httpx.AsyncClient:
    c: httpx.AsyncClient = app.state.test_client
    return c


def embedded_settings(data_dir: Path) -> Settings:
    """Settings as a newcomer has them: nothing configured but a data directory."""
    return Settings(_env_file=None, data_dir=data_dir, worker_idle_timeout_s=5)  # type: ignore[call-arg]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def eventually(check: object, within: float = 15.0, interval: float = 0.1) -> object:
    """Poll an async predicate until it returns something truthy (jobs run in the background)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()  # type: ignore[operator]
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last: {result!r})")
        await asyncio.sleep(interval)


def process_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment of a Kepu process (server or worker) on the test session's services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env.update(
        KEPU_DATA_DIR=str(settings.data_dir),
        KEPU_DATABASE_URL=str(settings.database_url),
        KEPU_REDIS_URL=str(settings.redis_url),
        KEPU_REDIS_PREFIX=settings.redis_prefix,
        KEPU_QUEUE_NAME=settings.queue_name,
        KEPU_S3_ENDPOINT=str(settings.s3_endpoint),
        KEPU_S3_ACCESS_KEY=str(settings.s3_access_key),
        KEPU_S3_SECRET_KEY=str(settings.s3_secret_key),
        KEPU_S3_BUCKET=settings.s3_bucket,
        KEPU_S3_REGION=settings.s3_region,
        KEPU_JWT_SECRET=str(settings.jwt_secret),
    )
    env.update({f"KEPU_{k.upper()}": v for k, v in overrides.items()})
    return env
