"""Reviewers read only what the workflow hands them (their stage, their discipline) and what they
decided; operators read everything submitted. Everyone else gets the same 404 as for nothing."""

from __future__ import annotations

import httpx
import pytest

from infra.services import Services
from tests import factories as f
from tests.media_files import png


async def _sees(client: httpx.AsyncClient, who: f.Person, content_id: str) -> bool:
    """Whether ``who`` reads the content and its review history; both answers must agree."""
    detail = await f.get(client, who, content_id)
    history = await client.get(f"/api/v1/contents/{content_id}/reviews", headers=who.auth)
    if detail.status_code == 404:
        f.assert_problem(detail, 404, "content.not_found")
        f.assert_problem(history, 404, "content.not_found")
        return False
    assert detail.status_code == 200 and history.status_code == 200, (detail.text, history.text)
    assert detail.json()["findings"] is not None  # the reviewer's view, not the public one
    return True


async def test_a_science_reviewer_cannot_read_an_article_still_in_the_political_stage(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    physicist = await f.person(services, "science_reviewer", disciplines=("physics",))
    content_id, _ = await f.in_political(client, crew)
    assert not await _sees(client, physicist, content_id)
    # Not even the expert of its discipline: the science stage has not handed it over yet.
    assert not await _sees(client, crew.science, content_id)
    assert await _sees(client, crew.political, content_id)


async def test_the_science_stage_hands_an_article_only_to_experts_of_its_discipline(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    physicist = await f.person(services, "science_reviewer", disciplines=("physics",))
    content_id, _ = await f.in_science(client, crew)
    assert await _sees(client, crew.science, content_id)
    assert not await _sees(client, physicist, content_id)


async def test_a_political_reviewer_sees_their_stage_and_what_they_decided(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    colleague = await f.person(services, "political_reviewer")
    content_id, task_id = await f.in_political(client, crew)
    assert await _sees(client, colleague, content_id)  # open at their stage
    assert (await f.approve(client, crew.political, task_id)).status_code == 200
    # Passed on to science: the colleague took no part in it, the approver did.
    assert not await _sees(client, colleague, content_id)
    assert await _sees(client, crew.political, content_id)
    decided = await client.get(
        "/api/v1/review/tasks", params={"status": "all"}, headers=colleague.auth
    )
    assert task_id not in [t["id"] for t in decided.json()["items"]]
    mine = await client.get(
        "/api/v1/review/tasks", params={"status": "approved"}, headers=crew.political.auth
    )
    assert task_id in [t["id"] for t in mine.json()["items"]]


async def test_operators_read_every_submitted_content_and_its_history(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id, _ = await f.in_political(client, crew)
    assert await _sees(client, crew.admin, content_id)


@pytest.fixture(scope="module")
def small_png(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return png(tmp_path_factory.mktemp("media") / "cover.png", 64, 48)


async def test_reviewers_get_media_only_through_content_handed_to_them(
    client: httpx.AsyncClient, services: Services, small_png: bytes
) -> None:
    crew = await f.crew(services)
    physicist = await f.person(services, "science_reviewer", disciplines=("physics",))
    media_id = await f.upload(client, crew.creator, small_png)
    url = f"/api/v1/media/{media_id}"
    # Attached to nothing: the owner and operators only.
    for who in (crew.political, crew.science, physicist):
        f.assert_problem(await client.get(url, headers=who.auth), 404, "media.not_found")
    assert (await client.get(url, headers=crew.admin.auth)).status_code == 200

    await f.in_political(client, crew, cover_media_id=media_id)
    media = await client.get(url, headers=crew.political.auth)
    assert media.status_code == 200 and "X-Amz-Signature" in media.json()["cover_url"]
    for who in (crew.science, physicist):  # the science stage has not handed it over
        f.assert_problem(await client.get(url, headers=who.auth), 404, "media.not_found")
