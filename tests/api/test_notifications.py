"""Users read what they were told — review outcomes with the reviewer's comment, media that
failed — newest first with an unread count, and mark their own notifications read; another
user's ids change nothing and tell nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import select

from content.models import Notification
from infra.services import Services
from tests import factories as f
from tests.helpers import eventually
from tests.media_files import png

MINE = "/api/v1/me/notifications"


async def _told(client: httpx.AsyncClient, who: f.Person, **params: str) -> dict[str, Any]:
    resp = await client.get(MINE, params=params, headers=who.auth)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def _mark(client: httpx.AsyncClient, who: f.Person, ids: Any) -> httpx.Response:
    return await client.post(f"{MINE}/read", json={"ids": ids}, headers=who.auth)


async def test_a_creator_is_told_each_review_decision_with_the_reviewers_comment(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id, task_id = await f.in_political(client, crew, title="黑洞如何形成")
    asked = await f.decide(client, crew.political, task_id, "request_changes", "请补充参考文献")
    assert asked.status_code == 200, asked.text
    [note] = (await _told(client, crew.creator))["items"]
    assert note["kind"] == "review_outcome" and note["content_id"] == content_id
    assert note["text"] == "你的《黑洞如何形成》需要修改后重新提交。审核意见：请补充参考文献"

    published = await f.publish(client, crew, title="疫苗的原理")
    told = await _told(client, crew.creator)
    assert told["items"][0]["text"] == "你的《疫苗的原理》已通过审核并发布。"
    assert told["items"][0]["content_id"] == published
    # Passing the political stage alone is no outcome: two notifications in all.
    assert told["unread"] == 2 and len(told["items"]) == 2

    rejected_id, rejected_task = await f.in_political(client, crew, title="水的沸点")
    no = await f.decide(client, crew.political, rejected_task, "reject", "与主题无关")
    assert no.status_code == 200, no.text
    latest = (await _told(client, crew.creator))["items"][0]
    assert latest["content_id"] == rejected_id
    assert latest["text"] == "你的《水的沸点》未通过审核。审核意见：与主题无关"


async def test_marking_read_touches_only_the_callers_notifications(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    for title in ("第一篇", "第二篇", "第三篇"):
        _, task_id = await f.in_political(client, crew, title=title)
        await f.decide(client, crew.political, task_id, "reject", "不符合要求")
    stranger = await f.crew(services)
    _, theirs = await f.in_political(client, stranger)
    await f.decide(client, stranger.political, theirs, "reject", "不符合要求")
    their_id = (await _told(client, stranger.creator))["items"][0]["id"]

    first = await _told(client, crew.creator, limit="2")
    assert first["unread"] == 3 and len(first["items"]) == 2 and first["next_cursor"]
    rest = await _told(client, crew.creator, limit="2", cursor=first["next_cursor"])
    assert [n["text"][:6] for n in first["items"] + rest["items"]] == [
        "你的《第三篇", "你的《第二篇", "你的《第一篇",
    ]  # fmt: skip
    assert rest["next_cursor"] is None

    newest = first["items"][0]["id"]
    marked = await _mark(client, crew.creator, [newest, their_id, "01nosuchnotification0000"])
    assert marked.status_code == 200, marked.text
    assert marked.json() == {"marked": 1, "unread": 2}
    assert (await _told(client, stranger.creator))["unread"] == 1  # theirs stays unread
    async with services.read_sessions() as session:
        theirs_row = await session.get(Notification, their_id)
        assert theirs_row is not None and theirs_row.read_at is None
    again = await _told(client, crew.creator)
    assert [n["read"] for n in again["items"]] == [True, False, False]

    assert (await _mark(client, crew.creator, "all")).json() == {"marked": 2, "unread": 0}
    assert (await _mark(client, crew.creator, "all")).json() == {"marked": 0, "unread": 0}
    assert (await _told(client, stranger.creator))["unread"] == 1


@pytest.mark.parametrize("ids", [None, "some", 7, [1, 2], ["x"] * 101, [""], {"ids": []}], ids=repr)
async def test_bad_ids_are_refused_and_mark_nothing(
    client: httpx.AsyncClient, services: Services, ids: Any
) -> None:
    viewer = await f.person(services, "viewer")
    resp = await _mark(client, viewer, ids)
    assert f.assert_problem(resp, 422)["field"] == "ids"


async def test_a_bad_cursor_or_no_token_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    viewer = await f.person(services, "viewer")
    bad = await client.get(MINE, params={"cursor": "nope"}, headers=viewer.auth)
    assert f.assert_problem(bad, 422, "invalid")["field"] == "cursor"
    f.assert_problem(await client.get(MINE), 401)
    f.assert_problem(await client.post(f"{MINE}/read", json={"ids": "all"}), 401)
    assert await _told(client, viewer) == {"items": [], "unread": 0, "next_cursor": None}


async def test_a_creator_is_told_when_an_upload_cannot_be_processed(
    client: httpx.AsyncClient, services: Services, tmp_path_factory: pytest.TempPathFactory
) -> None:
    creator = await f.person(services, "creator")
    image = png(tmp_path_factory.mktemp("media") / "broken.png", 400, 300)
    media_id = await f.upload(client, creator, image[: len(image) // 3])
    assert (await f.settled_media(client, creator, media_id))["status"] == "failed"

    async def told() -> list[Any]:
        return list((await _told(client, creator))["items"])

    [note] = await eventually(told)  # type: ignore[misc]
    assert note["kind"] == "media_failed" and note["content_id"] is None
    assert note["text"].startswith("你上传的图片处理失败：") and "/" not in note["text"]
    async with services.read_sessions() as session:
        row = (await session.exec(select(Notification).where(Notification.id == note["id"]))).one()
        assert row.data == {"media_id": media_id}
