"""The test session's real services: PostgreSQL (a fresh database per run, built by the
migrations), Redis (a queue and key prefix per run), SeaweedFS as the S3 server, a WeChat stub,
and the app itself with its embedded worker, driven through httpx; the app's OpenAPI document and
the Python client generated from it, once per run. Fixtures only: what tests import lives in
`tests/helpers.py` and `tests/factories.py`."""

from __future__ import annotations

import importlib
import json
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from api import problems
from api.app import create_app
from infra.services import Services
from infra.settings import Settings
from tests import wechat_stub
from tests.helpers import (
    CLIENT_PACKAGE,
    REDIS_URL,
    VENV_BIN,
    run_tool,
    scratch_database,
    serving,
    undeclared_problem,
)
from tests.s3server import S3ServerInfo, run_seaweedfs

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
    async with scratch_database(f"kepu_test_{RUN}") as url:
        yield url


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
        # The security walks post comments with every hostile id, all from one address; the
        # limits count attempts.
        comments_per_minute=60,
        interactions_per_minute_per_address=100_000,
        # Reading the text on media costs about a second an item, and most tests upload media
        # for other reasons: the modules that need it turn it on (`reading_text`).
        ocr_enabled=False,
    )


@pytest.fixture(scope="module")
def reading_text(settings: Settings) -> Iterator[None]:
    """The worker reads the text on the media processed while this module runs (the setting is
    read at each job, by the worker beside the app)."""
    settings.ocr_enabled = True
    yield
    settings.ocr_enabled = False


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


@pytest.fixture
async def session(services: Services) -> AsyncIterator[AsyncSession]:
    """A write session on the test database that is rolled back at the end, for testing a
    `content/` rule by calling its service: nothing the test writes is ever committed, so no
    other test sees it, and nothing waits on the worker."""
    async with services.write_sessions() as s:
        yield s
        await s.rollback()


@pytest.fixture(scope="session")
def answered_problems() -> Iterator[list[str]]:
    """Every problem an app of this test session answers is checked against the route's
    declared codes (the OpenAPI `x-codes`); what was not declared is collected here."""
    found: list[str] = []
    send = problems.ProblemResponse.__call__

    async def checked(self: problems.ProblemResponse, scope: Any, receive: Any, out: Any) -> None:
        await send(self, scope, receive, out)
        why = undeclared_problem(scope, self.status_code, self.code)
        if why:
            found.append(why)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(problems.ProblemResponse, "__call__", checked)
        yield found


@pytest.fixture(autouse=True)
def _routes_answer_only_declared_problems(answered_problems: list[str]) -> Iterator[None]:
    answered_problems.clear()
    yield
    undeclared = sorted(set(answered_problems))
    answered_problems.clear()
    assert not undeclared, "a route answered a problem code it does not declare:\n" + "\n".join(
        undeclared
    )


@pytest.fixture(scope="session")
def spec(app: FastAPI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's OpenAPI document, written to a file as a client team downloads it."""
    path = tmp_path_factory.mktemp("spec") / "openapi.json"
    path.write_text(json.dumps(app.openapi()))
    return path


@pytest.fixture(scope="session")
def python_client(spec: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package openapi-python-client generates from ``spec`` (once a run: generating takes
    seconds), imported as `kepu_client`; generating it must not warn."""
    root = tmp_path_factory.mktemp("python-client")
    out = run_tool(
        VENV_BIN / "openapi-python-client",
        "generate",
        "--path",
        spec,
        "--output-path",
        root / CLIENT_PACKAGE,
        "--meta",
        "none",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(CLIENT_PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [
            n for n in sys.modules if n == CLIENT_PACKAGE or n.startswith(f"{CLIENT_PACKAGE}.")
        ]:
            del sys.modules[name]
