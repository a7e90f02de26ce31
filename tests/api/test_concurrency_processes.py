"""Two reviewers deciding one task at the same moment, through a real server with several
worker processes in front of PostgreSQL: exactly one decision wins."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.processes import kepu_env, running_api


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    """`uvicorn --workers 3` on the test database: separate processes, separate pools."""
    env = kepu_env(
        settings,
        KEPU_MODE="production",  # no migrations at start: the test session ran them
        KEPU_RUN_EMBEDDED_WORKER="false",
    )
    # Three processes import the app at once; on a loaded machine that takes a while.
    with running_api(env, workers=3) as url:
        yield url


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
                f.decide(real, r, task_id, d, "同时提交")
                for r, d in zip(reviewers, decisions, strict=True)
            )
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 7, [r.text for r in responses]
    losers = {r.json()["code"] for r in responses if r.status_code == 409}
    assert losers <= {"review.task_closed", "review.already_claimed"}, losers
    history = (
        await client.get(f"/api/v1/contents/{content_id}/reviews", headers=crew.creator.auth)
    ).json()
    assert len([e for e in history if e["stage"] == "political"]) == 1
