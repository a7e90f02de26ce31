"""With WeChat configured and a template per kind, a notification is also pushed as a subscribe
message, by a job after the commit: the access token is shared through Redis and fetched once
for many messages, fetched again when WeChat expires it, and a WeChat outage delays messages
without failing the request that caused them. Against the local WeChat stub."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from content import notifications
from content.models import Notification, NotificationKind
from infra import wechat
from infra.services import Services
from tests import factories as f
from tests import wechat_stub
from tests.helpers import eventually

TEMPLATES = {
    NotificationKind.review_outcome: "tmpl-review",
    NotificationKind.report_outcome: "tmpl-report",
    NotificationKind.comment: "tmpl-comment",
}


@pytest.fixture
def templates(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Templates set for three kinds, and retries quick enough for a test."""
    for kind, template in TEMPLATES.items():
        monkeypatch.setitem(services.settings.wechat_templates, kind.value, template)
    monkeypatch.setattr(services.settings, "wechat_retry_base_s", 0.3)
    yield


async def _on_wechat(client: httpx.AsyncClient, who: f.Person, ident: str) -> str:
    """Bind ``who`` to a WeChat login; returns the openid WeChat knows them by."""
    resp = await client.post("/api/v1/me/wechat", json={"code": f"ok-{ident}"}, headers=who.auth)
    assert resp.status_code == 200, resp.text
    return f"o-{ident}"


async def _tell(app: FastAPI, user_id: str, texts: list[str]) -> list[str]:
    """Notifications written and committed as any service writes them, drained after."""

    async def write(session: AsyncSession) -> list[str]:
        rows = [
            await notifications.tell(session, user_id, NotificationKind.comment, text)
            for text in texts
        ]
        return [row.id for row in rows]

    ids: list[str] = await app.state.drain.write(write)
    return ids


async def _messages(openid: str, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        sent = wechat_stub.subscribe_messages(openid)
        return sent if len(sent) >= count else None

    found: list[dict[str, Any]] = await eventually(arrived, within=30)  # type: ignore[assignment]
    return found


async def _fresh_token(services: Services) -> None:
    """Start from no cached token, as after a deployment."""
    await services.redis.delete(f"{services.settings.redis_prefix}:wechat:access-token")


async def test_one_token_serves_many_messages_and_is_fetched_again_once_expired(
    client: httpx.AsyncClient,
    app: FastAPI,
    services: Services,
    templates: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    viewer = await f.person(services, "viewer")
    openid = await _on_wechat(client, viewer, secrets.token_hex(6))
    await _fresh_token(services)
    before = wechat_stub.token_fetches()
    await _tell(app, viewer.id, [f"有人评论了你的内容 {i}" for i in range(6)])
    sent = await _messages(openid, 6)
    assert wechat_stub.token_fetches() - before == 1
    assert {m["template_id"] for m in sent} == {"tmpl-comment"}
    assert {m["page"] for m in sent} == {services.settings.wechat_message_page}
    first = sent[0]["data"]
    assert set(first) == {"thing1", "time2"} and len(first["thing1"]["value"]) <= 20

    wechat_stub.expire_token()
    await _tell(app, viewer.id, ["又有人评论了", "还有一条评论"])
    await _messages(openid, 8)
    assert wechat_stub.token_fetches() - before == 2
    # Neither the app secret nor any token reaches a log line.
    issued = f"token-{wechat_stub.token_fetches()}"
    assert issued not in caplog.text and wechat_stub.SECRET not in caplog.text
    assert "access_token=REDACTED" in caplog.text


async def test_a_decision_succeeds_while_wechat_is_down_and_its_message_arrives_later(
    client: httpx.AsyncClient, services: Services, templates: None
) -> None:
    crew = await f.crew(services)
    openid = await _on_wechat(client, crew.creator, secrets.token_hex(6))
    _, task_id = await f.in_political(client, crew, title="地震能被预测吗")
    with wechat_stub.going_down():
        decided = await f.decide(client, crew.political, task_id, "reject", "缺少可靠来源")
        assert decided.status_code == 200, decided.text
        told = (await client.get("/api/v1/me/notifications", headers=crew.creator.auth)).json()
        assert told["items"][0]["text"].startswith("你的《地震能被预测吗》未通过审核")
        await asyncio.sleep(1.0)  # the push is tried (and retried) while WeChat is down
        assert wechat_stub.subscribe_messages(openid) == []
    [message] = await _messages(openid, 1)
    assert message["template_id"] == "tmpl-review"
    assert message["data"]["thing1"]["value"].startswith("你的《地震能被预测吗》")

    async def settled() -> Notification | None:
        async with services.read_sessions() as session:
            row = await session.get(Notification, told["items"][0]["id"])
            return row if row is not None and row.pushed_at is not None else None

    row = await eventually(settled)
    assert isinstance(row, Notification) and row.push_error is None


async def test_a_user_who_did_not_subscribe_is_settled_without_retries(
    client: httpx.AsyncClient, app: FastAPI, services: Services, templates: None
) -> None:
    viewer = await f.person(services, "viewer")
    openid = await _on_wechat(client, viewer, f"nosub{secrets.token_hex(4)}")
    [notification_id] = await _tell(app, viewer.id, ["有人回复了你"])

    async def settled() -> Notification | None:
        async with services.read_sessions() as session:
            row = await session.get(Notification, notification_id)
            return row if row is not None and row.pushed_at is not None else None

    row = await eventually(settled)
    assert isinstance(row, Notification) and row.push_error == "not_subscribed"
    assert wechat_stub.subscribe_messages(openid) == []
    # Still in the list: WeChat is an extra channel, not the record.
    listed = (await client.get("/api/v1/me/notifications", headers=viewer.auth)).json()
    assert [n["id"] for n in listed["items"]] == [notification_id]


async def test_a_kind_without_a_template_is_not_pushed(
    client: httpx.AsyncClient, app: FastAPI, services: Services, templates: None
) -> None:
    viewer = await f.person(services, "viewer")
    openid = await _on_wechat(client, viewer, secrets.token_hex(6))

    async def write(session: AsyncSession) -> str:
        row = await notifications.tell(
            session, viewer.id, NotificationKind.media_failed, "你上传的视频处理失败"
        )
        return row.id

    await app.state.drain.write(write)
    await _tell(app, viewer.id, ["之后的一条评论"])
    [only] = await _messages(openid, 1)
    assert only["template_id"] == "tmpl-comment"


async def test_processes_missing_the_token_at_once_fetch_it_once(services: Services) -> None:
    """Many callers (as many processes would) find no token at the same moment: the Redis lock
    lets one fetch, and the others use what it fetched."""
    prefix = f"{services.settings.redis_prefix}:lock-{secrets.token_hex(4)}"
    callers = [wechat.SharedToken(services.redis, prefix) for _ in range(8)]
    before = wechat_stub.token_fetches()
    tokens = await asyncio.gather(*(c.get(services.http, services.settings) for c in callers))
    assert wechat_stub.token_fetches() - before == 1
    assert len(set(tokens)) == 1
    # One WeChat refused is fetched again once, whoever noticed.
    stale = tokens[0]
    again = await asyncio.gather(
        *(c.get(services.http, services.settings, stale=stale) for c in callers)
    )
    assert wechat_stub.token_fetches() - before == 2
    assert len(set(again)) == 1 and again[0] != stale
