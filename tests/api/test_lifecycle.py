"""An article from a creator's draft through machine, political and science review to the feed,
and off it again by takedown — driven only through the HTTP contract."""

from __future__ import annotations

import httpx

from infra.services import Services
from tests import factories as f


async def test_article_goes_from_draft_through_every_stage_to_the_feed(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content = await f.create(client, crew.creator)
    assert content["status"] == "draft" and content["review_stage"] is None

    resp = await f.submit(client, crew.creator, content["id"])
    assert resp.status_code == 202
    assert resp.json()["status"] == "in_review"
    assert resp.json()["review_stage"] == "machine"

    political = await f.wait_for_task(client, crew.political, "political", content["id"])
    assert political["content"]["title"] == "冬季如何科学预防流感"
    assert (await f.get(client, crew.creator, content["id"])).json()["review_stage"] == "political"
    claim = await f.claim(client, crew.political, political["id"])
    assert claim.status_code == 200 and claim.json()["claimed_by"] == crew.political.id
    assert (await f.approve(client, crew.political, political["id"])).status_code == 200

    science = await f.wait_for_task(client, crew.science, "science", content["id"])
    assert (await f.approve(client, crew.science, science["id"])).status_code == 200

    public = await f.get(client, None, content["id"])
    assert public.status_code == 200
    detail = public.json()
    assert detail["status"] == "published" and detail["review_stage"] is None
    assert detail["findings"] is None  # machine findings are for the owner and reviewers
    assert [r["stage"] for r in detail["reviewed_by"]] == ["science"]
    assert detail["published_at"] is not None

    feed = (await client.get("/api/v1/feed", params={"tab": "latest", "limit": 50})).json()
    assert content["id"] in [c["id"] for c in feed["items"]]

    history = await client.get(
        f"/api/v1/contents/{content['id']}/reviews", headers=crew.creator.auth
    )
    assert [e["action"] for e in history.json()] == ["submit", "pass", "approve", "approve"]
    assert history.json()[-1]["reviewer"]["id"] == crew.science.id


async def test_takedown_removes_content_from_feed_and_public_detail_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    resp = await f.takedown(client, crew.admin, content_id)
    assert resp.status_code == 200 and resp.json()["status"] == "taken_down"
    assert (await f.get(client, None, content_id)).status_code == 404
    feed = (await client.get("/api/v1/feed", params={"limit": 50})).json()
    assert content_id not in [c["id"] for c in feed["items"]]
    # The author still sees it, with its status.
    mine = await f.get(client, crew.creator, content_id)
    assert mine.json()["status"] == "taken_down"


async def test_only_an_admin_can_take_content_down(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    resp = await f.takedown(client, crew.political, content_id)
    assert resp.status_code == 403
    assert (await f.get(client, None, content_id)).status_code == 200


async def test_owner_withdraws_published_content(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    resp = await client.post(f"/api/v1/contents/{content_id}/withdraw", headers=crew.creator.auth)
    assert resp.status_code == 200 and resp.json()["status"] == "withdrawn"
    assert (await f.get(client, None, content_id)).status_code == 404


async def test_drafts_are_invisible_to_everyone_but_their_author(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    other = await f.person(services, "creator")
    content = await f.create(client, crew.creator)
    for who in (None, other, crew.political, crew.admin):
        resp = await f.get(client, who, content["id"])
        assert resp.status_code == 404, who
        assert resp.json()["code"] == "content.not_found"
    assert (await f.get(client, crew.creator, content["id"])).status_code == 200


async def test_editing_someone_elses_content_is_404(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    other = await f.person(services, "creator")
    content = await f.create(client, crew.creator)
    resp = await client.patch(
        f"/api/v1/contents/{content['id']}", json={"title": "改掉"}, headers=other.auth
    )
    assert resp.status_code == 404
    assert (await f.get(client, crew.creator, content["id"])).json()["title"] != "改掉"


async def test_request_changes_then_resubmit_goes_through_review_as_a_new_revision(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content = await f.create(client, crew.creator)
    await f.submit(client, crew.creator, content["id"])
    task = await f.wait_for_task(client, crew.political, "political", content["id"])
    resp = await f.decide(client, crew.political, task["id"], "request_changes", "请补充数据来源")
    assert resp.status_code == 200
    detail = (await f.get(client, crew.creator, content["id"])).json()
    assert detail["status"] == "changes_requested"
    mine = (await client.get("/api/v1/me/contents", headers=crew.creator.auth)).json()
    assert mine["items"][0]["latest_comment"] == "请补充数据来源"

    again = await client.post(
        f"/api/v1/contents/{content['id']}/submit", headers=crew.creator.in_english
    )
    assert "PATCH" in f.assert_problem(again, 409, "workflow.invalid_state")["detail"]  # edit first

    edited = await client.patch(
        f"/api/v1/contents/{content['id']}",
        json={"summary": "补充了来源"},
        headers=crew.creator.auth,
    )
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    assert edited.json()["status"] == "draft"
    history = await client.get(
        f"/api/v1/contents/{content['id']}/reviews", headers=crew.creator.auth
    )
    edit = history.json()[-1]  # the new working revision is a workflow transition too
    assert (edit["action"], edit["from_status"], edit["to_status"], edit["revision"]) == (
        "edit", "changes_requested", "draft", 2,
    )  # fmt: skip
    assert edit["actor"]["id"] == crew.creator.id and edit["decision"] is None
    resp = await f.submit(client, crew.creator, content["id"])
    assert resp.status_code == 202
    task2 = await f.wait_for_task(client, crew.political, "political", content["id"])
    assert task2["revision"] == 2 and task2["content"]["summary"] == "补充了来源"


async def test_published_content_stays_live_while_its_edit_is_reviewed(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    resp = await client.patch(
        f"/api/v1/contents/{content_id}", json={"title": "新标题"}, headers=crew.creator.auth
    )
    assert resp.status_code == 200 and resp.json()["revision"] == 2
    await f.submit(client, crew.creator, content_id)
    public = (await f.get(client, None, content_id)).json()
    assert public["title"] == "冬季如何科学预防流感" and public["status"] == "published"
    political = await f.wait_for_task(client, crew.political, "political", content_id)
    assert (await f.approve(client, crew.political, political["id"])).status_code == 200
    science = await f.wait_for_task(client, crew.science, "science", content_id)
    assert (await f.approve(client, crew.science, science["id"])).status_code == 200
    assert (await f.get(client, None, content_id)).json()["title"] == "新标题"


async def test_blocking_term_rejects_at_the_machine_stage_with_its_finding(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    detail = await f.screened(client, crew.creator, body="有人宣传法輪功，这是谣言。")
    assert detail["status"] == "rejected"
    blocks = [x for x in detail["findings"] if x["severity"] == "block"]
    assert blocks and blocks[0]["field"] == "body"
    body = detail["body"]
    assert body[blocks[0]["start"] : blocks[0]["end"]] == "法輪功"
    assert await f.task_for(client, crew.political, "political", detail["id"]) is None


async def test_warnings_travel_to_reviewers_as_findings(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.submitted(client, crew.creator, summary="这个偏方能根治糖尿病")
    task = await f.wait_for_task(client, crew.political, "political", content_id)
    hits = [x for x in task["findings"] if x["field"] == "summary"]
    assert any(x["excerpt"] == "根治" and x["severity"] == "warn" for x in hits)
