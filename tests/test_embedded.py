"""The embedded defaults a newcomer gets (SQLite, bundled Valkey, local disk, in-process worker):
the core lifecycle once more, end to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from api.app import create_app
from infra.services import Services
from tests import factories as f
from tests.helpers import embedded_settings, serving
from tests.media_files import video


@pytest.fixture(scope="module")
async def embedded(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    data_dir: Path = tmp_path_factory.mktemp("embedded")
    app = create_app(embedded_settings(data_dir))
    async with serving(app) as client:
        yield client, app.state.services


async def test_embedded_defaults_use_sqlite_bundled_redis_and_local_disk(
    embedded: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = embedded
    assert services.engine.dialect.name == "sqlite"
    assert services.redis_url.startswith("redis://127.0.0.1:")
    assert urlsplit(services.redis_url).port != 6379  # its own Valkey, not the machine's Redis
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text


async def test_article_lifecycle_on_embedded_defaults(
    embedded: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = embedded
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    feed = (await client.get("/api/v1/feed", params={"topic": "health"})).json()
    assert [c["id"] for c in feed["items"]] == [content_id]
    found = (await client.get("/api/v1/search", params={"q": "流感疫苗"})).json()  # FTS5
    assert [c["id"] for c in found["items"]] == [content_id]
    assert "<em>" in found["items"][0]["snippet"]
    assert (await f.takedown(client, crew.admin, content_id)).status_code == 200
    assert (await client.get("/api/v1/feed")).json()["items"] == []
    assert (await client.get("/api/v1/search", params={"q": "流感疫苗"})).json()["items"] == []


async def test_concurrent_decisions_on_sqlite_exactly_one_wins(
    embedded: tuple[httpx.AsyncClient, Services],
) -> None:
    client, services = embedded
    crew = await f.crew(services)
    rivals = [await f.person(services, "political_reviewer") for _ in range(4)]
    _, task_id = await f.in_political(client, crew)
    responses = await asyncio.gather(*(f.approve(client, r, task_id) for r in rivals))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]


async def test_video_on_local_disk_is_uploaded_through_signed_urls_and_transcoded(
    embedded: tuple[httpx.AsyncClient, Services], tmp_path: Path
) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    data = video(tmp_path / "clip.mp4", 640, 360, seconds=1).read_bytes()
    plan = (await f.start_upload(client, creator, len(data), "video/mp4", "clip.mp4")).json()
    # The signed URL points at this API's own storage route (no bearer token: the signature is
    # the authority).
    url = urlsplit(plan["url"])
    assert url.path.startswith("/api/v1/storage/")
    target = f"{url.path}?{url.query}"
    tampered = await client.put(target.replace("sig=", "sig=0"), content=data)
    assert tampered.status_code == 403
    put = await client.put(target, content=data, headers=plan["headers"])
    assert put.status_code == 200 and put.headers["etag"]
    done = await f.complete_upload(client, creator, plan["upload_id"])
    media = await f.settled_media(client, creator, done.json()["media_id"], within=60)
    assert media["status"] == "ready", media
    renditions = media["renditions"]
    assert isinstance(renditions, list) and renditions
    first = urlsplit(renditions[0]["url"])
    ranged = await client.get(f"{first.path}?{first.query}", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100  # seeking works


async def test_likes_follows_and_views_on_sqlite(
    embedded: tuple[httpx.AsyncClient, Services],
) -> None:
    from workers.feeds import flush_counters

    client, services = embedded
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    content_id = await f.publish(client, crew)
    likes = await asyncio.gather(
        *(client.post(f"/api/v1/contents/{content_id}/like", headers=fan.auth) for _ in range(5))
    )
    assert [r.status_code for r in likes] == [200] * 5
    follow = await client.post(f"/api/v1/users/{crew.creator.id}/follow", headers=fan.auth)
    assert follow.json()["followers"] == 1
    view = await client.post(
        f"/api/v1/contents/{content_id}/views",
        json={"watched_s": 50, "duration_s": 50},
        headers=fan.auth,
    )
    assert view.status_code == 202
    await flush_counters(services)
    stats = (await f.get(client, None, content_id)).json()["stats"]
    assert (stats["likes"], stats["views"]) == (1, 1)
    following = await client.get("/api/v1/feed", params={"tab": "following"}, headers=fan.auth)
    assert [c["id"] for c in following.json()["items"]] == [content_id]


async def test_reports_and_notifications_on_sqlite(
    embedded: tuple[httpx.AsyncClient, Services],
) -> None:
    """Racing reports of one person leave one open (the partial unique index on SQLite); the
    grouped list pages by its cursor; a takedown from a report tells the reporter."""
    client, services = embedded
    crew = await f.crew(services)
    viewer = await f.person(services, "viewer")
    content_id = await f.publish(client, crew)
    body = {"content_id": content_id, "reason": "rumor"}
    racing = await asyncio.gather(
        *(client.post("/api/v1/reports", json=body, headers=viewer.auth) for _ in range(4))
    )
    assert sorted(r.status_code for r in racing) == [201, 409, 409, 409]
    other = await f.publish(client, crew)
    assert (
        await client.post(
            "/api/v1/reports", json={**body, "content_id": other}, headers=viewer.auth
        )
    ).status_code == 201
    first = await client.get(
        "/api/v1/admin/reports", params={"limit": "1", "status": "open"}, headers=crew.admin.auth
    )
    assert first.status_code == 200, first.text
    second = await client.get(
        "/api/v1/admin/reports",
        params={"limit": "1", "status": "open", "cursor": first.json()["next_cursor"]},
        headers=crew.admin.auth,
    )
    ids = [g["content_id"] for g in first.json()["items"] + second.json()["items"]]
    assert ids == [other, content_id] and second.json()["next_cursor"] is None
    report_id = first.json()["items"][0]["items"][0]["id"]
    resolved = await client.post(
        f"/api/v1/admin/reports/{report_id}/resolve",
        json={"action": "takedown"},
        headers=crew.admin.auth,
    )
    assert resolved.json()["content_status"] == "taken_down"
    told = (await client.get("/api/v1/me/notifications", headers=viewer.auth)).json()
    assert [n["kind"] for n in told["items"]] == ["report_outcome"] and told["unread"] == 1
