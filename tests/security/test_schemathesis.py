"""Schemathesis against the app's own OpenAPI document: generated requests (valid and not) as
anonymous, a creator, a reviewer and an admin, over real HTTP to a real server on loopback. No
answer may be a 5xx, and every answer must be one the document lists, with its content type,
headers and schema — the problem-details answers included.

Bounded for CI: a fixed seed (derandomize), a few examples per operation, no example database.
The server has a database, queue, key prefix and bucket of its own, since generated requests
write (screening terms, rumors, users) what other tests must not see."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from infra.settings import Settings
from tests.helpers import scratch_database
from tests.processes import KEPU, kepu_env, running_api

MAX_EXAMPLES = 5
# Invalid requests are refused before anyone's rights matter: two principals are enough.
NEGATIVE_AS = ("creator", "admin")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
async def st_database() -> AsyncIterator[str]:
    async with scratch_database(f"kepu_st_{secrets.token_hex(4)}") as url:
        yield url


def _user(env: dict[str, str], username: str, password: str, *args: str) -> None:
    subprocess.run(
        [str(KEPU), "user", "create", username, "--password", password, *args],
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def st_server(
    settings: Settings, st_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
    """The server's URL, and the headers of each principal."""
    run = secrets.token_hex(4)
    env = kepu_env(
        settings,
        KEPU_DATA_DIR=str(tmp_path_factory.mktemp("st")),
        KEPU_DATABASE_URL=st_database,
        KEPU_QUEUE_NAME=f"kepu-st-{run}",
        KEPU_REDIS_PREFIX=f"kepu-st-{run}",
        KEPU_S3_BUCKET=f"kepu-st-{run}",
        KEPU_RUN_EMBEDDED_WORKER="false",
        # WeChat's login answers (the local stub), so /auth/wechat is a 401, not a 503.
        KEPU_WECHAT_APPID=str(settings.wechat_appid),
        KEPU_WECHAT_SECRET=str(settings.wechat_secret),
        KEPU_WECHAT_BASE_URL=settings.wechat_base_url,
    )
    with running_api(env) as url:
        password = secrets.token_urlsafe(24)
        roles = {
            "creator": ["--role", "creator"],
            "reviewer": ["--role", "political_reviewer", "--role", "science_reviewer",
                         "--discipline", "medicine"],
            "admin": ["--role", "admin"],
        }  # fmt: skip
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for who, args in roles.items():
            username = f"st-{who}-{run}"
            _user(env, username, password, *args)
            token = httpx.post(
                f"{url}/api/v1/auth/token", data={"username": username, "password": password}
            ).json()["access_token"]
            headers[who] = {"Authorization": f"Bearer {token}"}
        yield url, headers


@pytest.fixture(scope="module")
def st_schema(st_server: tuple[str, Any]) -> Any:
    url, _ = st_server
    return schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json")


def _run(operation: Any, mode: Any, url: str, principals: dict[str, dict[str, str]]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        for who, headers in principals.items():
            if mode == GenerationMode.NEGATIVE and who not in NEGATIVE_AS:
                continue
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS, timeout=10)

    run()


def test_generated_requests_get_documented_answers_and_never_a_5xx(
    st_schema: Any, st_server: tuple[str, dict[str, dict[str, str]]]
) -> None:
    url, principals = st_server
    failures: list[str] = []
    operations = [result.ok() for result in st_schema.get_all_operations()]
    assert len(operations) > 20, "the OpenAPI document lost its operations?"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, url, principals)
            except Unsatisfiable:
                pass  # nothing to make invalid: the operation takes no input
            except (BaseExceptionGroup, Exception) as exc:  # report every operation's failure
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
