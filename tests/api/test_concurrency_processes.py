"""Two reviewers deciding one task at the same moment, through a real server with several
worker processes in front of PostgreSQL: exactly one decision wins."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.conftest import free_port, process_env


def _spawn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "3",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[str]:
    """`uvicorn --workers 3` on the test database: separate processes, separate pools."""
    port = free_port()
    env = process_env(
        settings,
        mode="production",  # no migrations at start: the test session ran them
        run_embedded_worker="false",
        log_level="WARNING",
    )
    proc = _spawn(env, port)
    url = f"http://127.0.0.1:{port}"
    try:
        # Three processes import the app at once; on a loaded machine that takes a while.
        deadline = asyncio.get_running_loop().time() + 90
        async with httpx.AsyncClient() as probe:
            while True:
                try:
                    if (await probe.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if asyncio.get_running_loop().time() > deadline or proc.poll() is not None:
                    raise AssertionError("server did not start")
                await asyncio.sleep(0.1)
        yield url
    finally:
        _stop(proc)


async def test_racing_decisions_across_processes_exactly_one_wins(
    client: httpx.AsyncClient, services: Services, server: str
) -> None:
    crew = await f.crew(services)
    reviewers = [await f.person(services, "political_reviewer") for _ in range(8)]
    content_id, task_id = await f.in_political(client, crew)
    decisions = ["approve", "reject", "request_changes", "approve"] * 2
    limits = httpx.Limits(max_connections=len(reviewers))
    async with httpx.AsyncClient(base_url=server, limits=limits, timeout=30) as real:
        responses = await asyncio.gather(
            *(
                real.post(
                    f"/api/v1/review/tasks/{task_id}/decision",
                    json={"decision": d, "comment": "同时提交"},
                    headers=r.auth,
                )
                for r, d in zip(reviewers, decisions, strict=True)
            )
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 7, [r.text for r in responses]
    history = (
        await client.get(f"/api/v1/contents/{content_id}/reviews", headers=crew.creator.auth)
    ).json()
    assert len([e for e in history if e["stage"] == "political"]) == 1
