"""The review rules over HTTP, tried the way a careless or malicious reviewer would: racing
decisions and edits, what the queue lists, what the decision schema takes, the append-only log.
The guards refusing one reviewer a task are tried on the service in
tests/content/test_review_guards.py."""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import col, func, select

from content.models import ReviewEvent, ReviewTask, TaskStatus
from content.review import MAX_COMMENT
from infra.services import Services
from tests import factories as f


async def assert_untouched(
    services: Services, task_id: str, claimed_by: str | None = None, decided_by: str | None = None
) -> None:
    """Nothing a refused request did stayed: the task is as it was and no decision was logged."""
    async with services.read_sessions() as session:
        task = await session.get(ReviewTask, task_id)
        assert task is not None
        assert task.claimed_by == claimed_by
        assert task.decided_by == decided_by
        assert task.status == (TaskStatus.open if decided_by is None else TaskStatus.approved)
        decisions = await session.exec(
            select(func.count())
            .select_from(ReviewEvent)
            .where(
                ReviewEvent.revision_id == task.revision_id,
                col(ReviewEvent.stage) == task.stage,
            )
        )
        assert decisions.one() == (0 if decided_by is None else 1)


async def test_political_queue_is_closed_to_people_without_the_role(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    resp = await client.get(
        "/api/v1/review/tasks", params={"stage": "political"}, headers=creator.auth
    )
    f.assert_problem(resp, 403, "auth.missing_role")


async def test_an_expired_claim_can_be_taken_over(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    rival = await f.person(services, "political_reviewer")
    _, task_id = await f.in_political(client, crew)
    assert (await f.claim(client, crew.political, task_id)).status_code == 200
    # Age the lease instead of sleeping through it.
    import sqlalchemy as sa

    from content.models import ReviewTask
    from infra.clock import utcnow

    async with services.write_sessions() as session:
        await session.exec(  # type: ignore[call-overload]
            sa.update(ReviewTask).where(ReviewTask.id == task_id).values(claim_expires_at=utcnow())
        )
        await session.commit()
    resp = await f.claim(client, rival, task_id)
    assert resp.status_code == 200 and resp.json()["claimed_by"] == rival.id


async def test_concurrent_decisions_on_one_task_exactly_one_wins(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    reviewers = [await f.person(services, "political_reviewer") for _ in range(6)]
    content_id, task_id = await f.in_political(client, crew)
    decisions = ["approve", "reject", "request_changes"] * 2
    responses = await asyncio.gather(
        *(
            f.decide(client, r, task_id, d, "并发")
            for r, d in zip(reviewers, decisions, strict=True)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409, 409, 409], [r.text for r in responses]
    losers = {r.json()["code"] for r in responses if r.status_code == 409}
    assert losers <= {"review.task_closed", "review.already_claimed"}, losers
    history = await client.get(f"/api/v1/contents/{content_id}/reviews", headers=crew.creator.auth)
    human = [e for e in history.json() if e["stage"] == "political"]
    assert len(human) == 1


async def test_only_the_workflow_decisions_are_decisions(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    _, task_id = await f.in_political(client, crew)
    url = f"/api/v1/review/tasks/{task_id}/decision"
    for body, field, code in (
        # an action, but no decision
        ({"decision": "submit", "comment": "x"}, "decision", "invalid"),
        ({"decision": "publish", "comment": "x"}, "decision", "validation_error"),
        (
            {"decision": "reject", "comment": "长" * (MAX_COMMENT + 1)},
            "comment",
            "validation_error",
        ),
    ):
        resp = await client.post(url, json=body, headers=crew.political.auth)
        assert f.assert_problem(resp, 422, code)["field"] == field, body
    await assert_untouched(services, task_id)
    openapi = await client.get("/api/v1/openapi.json")
    schema = openapi.json()["components"]["schemas"]
    assert schema["DecisionIn"]["properties"]["decision"]["enum"] == [
        "approve", "reject", "request_changes",
    ]  # fmt: skip
    assert schema["TaskOut"]["properties"]["status"]["$ref"].endswith("/TaskStatus")


async def test_the_audit_log_cannot_be_rewritten(
    client: httpx.AsyncClient, services: Services
) -> None:
    import pytest
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError

    await f.in_political(client, await f.crew(services))  # so the log has rows to protect
    async with services.write_sessions() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            await session.exec(sa.text("UPDATE reviewevent SET comment = 'rewritten'"))  # type: ignore[call-overload]
        await session.rollback()


async def test_queue_without_a_stage_lists_every_stage_the_reviewer_works(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    both = await f.person(
        services, "political_reviewer", "science_reviewer", disciplines=("medicine",)
    )
    in_political, _ = await f.in_political(client, crew)
    in_science, task_id = await f.in_political(client, crew)
    assert (await f.approve(client, crew.political, task_id)).status_code == 200
    await f.wait_for_task(client, crew.science, "science", in_science)
    seen = {t["content_id"]: t["stage"] for t in await f.open_tasks(client, both)}
    assert seen[in_political] == "political" and seen[in_science] == "science"


async def test_racing_edits_of_a_published_content_start_one_new_revision(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    responses = await asyncio.gather(
        *(
            client.patch(
                f"/api/v1/contents/{content_id}",
                json={"summary": f"第{i}版"},
                headers=crew.creator.auth,
            )
            for i in range(5)
        )
    )
    codes = [r.status_code for r in responses]
    assert 500 not in codes and codes.count(200) >= 1, [r.text for r in responses]
    refused = {(r.status_code, r.json()["code"]) for r in responses if r.status_code != 200}
    assert refused <= {(409, "workflow.stale")}, refused
    assert {r.json()["revision"] for r in responses if r.status_code == 200} == {2}


async def test_the_queue_has_only_the_human_stages(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    for params, code in (
        ({"stage": "machine"}, "invalid"),  # a stage, but no human decides it
        ({"stage": "bogus"}, "validation_error"),
        ({"status": "bogus"}, "validation_error"),
    ):
        resp = await client.get("/api/v1/review/tasks", params=params, headers=crew.political.auth)
        assert f.assert_problem(resp, 422, code)["field"] in params, params
    everything = await client.get(
        "/api/v1/review/tasks", params={"status": "all"}, headers=crew.political.auth
    )
    assert everything.status_code == 200
