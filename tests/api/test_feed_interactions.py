"""Likes, favourites, follows, views and shares: idempotent, exact under races, real stats."""

from __future__ import annotations

import asyncio

import httpx
import sqlalchemy as sa
from sqlmodel import func, select

from content.models import ContentStats, ContentViewer, Follow, Reaction, Role, User
from infra.services import Services
from tests import factories as f
from workers.feeds import flush_counters

API = "/api/v1"


async def _count(services: Services, query: sa.Select) -> int:  # type: ignore[type-arg]
    async with services.read_sessions() as session:
        return int((await session.exec(query)).one())


async def test_likes_from_many_connections_at_once_count_exactly(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fans = [await f.person(services, "viewer") for _ in range(6)]
    start = asyncio.Event()

    async def like(who: f.Person) -> httpx.Response:
        await start.wait()  # a barrier: every request leaves together
        return await client.post(f"{API}/contents/{content_id}/like", headers=who.auth)

    # Every fan likes four times over, all at once.
    tasks = [asyncio.create_task(like(fan)) for fan in fans for _ in range(4)]
    await asyncio.sleep(0.05)
    start.set()
    responses = await asyncio.gather(*tasks)
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    rows = await _count(
        services,
        select(func.count()).select_from(Reaction).where(Reaction.content_id == content_id),
    )
    assert rows == len(fans)
    detail = (await f.get(client, None, content_id)).json()
    assert detail["stats"]["likes"] == len(fans)
    # Taking a like back twice removes one.
    for _ in range(2):
        resp = await client.delete(f"{API}/contents/{content_id}/like", headers=fans[0].auth)
        assert resp.status_code == 200 and resp.json()["likes"] == len(fans) - 1


async def test_favourites_are_separate_from_likes_and_shown_per_viewer(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    resp = await client.post(f"{API}/contents/{content_id}/favorite", headers=fan.auth)
    assert resp.status_code == 200
    assert resp.json()["favorites"] == 1 and resp.json()["likes"] == 0
    mine = await client.get(f"{API}/me/interactions", params={"ids": content_id}, headers=fan.auth)
    assert mine.json()["items"] == [{"content_id": content_id, "liked": False, "favorited": True}]


async def test_liking_taken_down_or_unpublished_content_is_404(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    content_id = await f.publish(client, crew)
    assert (await f.takedown(client, crew.admin, content_id)).status_code == 200
    draft = await f.create(client, crew.creator)
    for target in (content_id, draft["id"], "no-such-content"):
        for action in ("like", "favorite", "share"):
            resp = await client.post(f"{API}/contents/{target}/{action}", headers=fan.auth)
            f.assert_problem(resp, 404, "content.not_found")
    assert (
        await _count(
            services, select(func.count()).select_from(Reaction).where(Reaction.user_id == fan.id)
        )
        == 0
    )


async def test_following_yourself_is_422_and_follows_are_idempotent(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    own = await client.post(f"{API}/users/{crew.creator.id}/follow", headers=crew.creator.auth)
    f.assert_problem(own, 422, "follow.self")
    for _ in range(2):
        resp = await client.post(f"{API}/users/{crew.creator.id}/follow", headers=fan.auth)
        assert resp.status_code == 200 and resp.json()["followers"] == 1
    assert (
        await _count(
            services, select(func.count()).select_from(Follow).where(Follow.follower_id == fan.id)
        )
        == 1
    )


async def test_a_staff_member_or_viewer_answers_a_follow_exactly_as_a_missing_user(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Following is for creators; anyone else looks like an id that does not exist, so a
    signed-in stranger cannot tell staff ids from made-up ones."""
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    others = {
        "political reviewer": crew.political.id,
        "admin": (await f.person(services, "admin")).id,
        "viewer": (await f.person(services, "viewer")).id,
        "missing": "01" + "0" * 24,
        "made up": "nobody",
    }
    for method in ("POST", "DELETE"):
        answers = {}
        for who, user_id in others.items():
            resp = await client.request(method, f"{API}/users/{user_id}/follow", headers=fan.auth)
            body = f.assert_problem(resp, 404, "user.not_found")
            answers[who] = {k: v for k, v in body.items() if k != "request_id"}
        assert len({repr(a) for a in answers.values()}) == 1, answers
    followed = select(func.count()).select_from(Follow).where(Follow.follower_id == fan.id)
    assert await _count(services, followed) == 0


async def test_a_creator_can_still_be_unfollowed_after_losing_the_role(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    resp = await client.post(f"{API}/users/{crew.creator.id}/follow", headers=fan.auth)
    assert resp.status_code == 200 and resp.json()["followers"] == 1
    async with services.write_sessions() as session:
        creator = await session.get(User, crew.creator.id)
        assert creator is not None
        creator.roles = [Role.viewer]
        session.add(creator)
        await session.commit()
    resp = await client.delete(f"{API}/users/{crew.creator.id}/follow", headers=fan.auth)
    assert resp.status_code == 200 and resp.json() == {
        "creator_id": crew.creator.id,
        "following": False,
        "followers": 0,
    }
    again = await client.delete(f"{API}/users/{crew.creator.id}/follow", headers=fan.auth)
    f.assert_problem(again, 404, "user.not_found")


async def test_the_following_tab_shows_followed_creators_newest_first(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    other = await f.crew(services)
    fan = await f.person(services, "viewer")
    first = await f.publish(client, crew)
    ignored = await f.publish(client, other)
    empty = await client.get(f"{API}/feed", params={"tab": "following"}, headers=fan.auth)
    assert empty.status_code == 200 and empty.json()["items"] == []
    await client.post(f"{API}/users/{crew.creator.id}/follow", headers=fan.auth)
    second = await f.publish(client, crew)
    items = (await client.get(f"{API}/feed", params={"tab": "following"}, headers=fan.auth)).json()[
        "items"
    ]
    assert [c["id"] for c in items] == [second, first] and ignored not in items
    await client.delete(f"{API}/users/{crew.creator.id}/follow", headers=fan.auth)
    after = await client.get(f"{API}/feed", params={"tab": "following"}, headers=fan.auth)
    assert after.json()["items"] == []


async def test_views_are_buffered_then_counted_once_per_person(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    viewers = [await f.person(services, "viewer") for _ in range(2)]
    url = f"{API}/contents/{content_id}/views"
    for body in (
        {"watched_s": -1, "duration_s": 60},
        {"watched_s": 10, "duration_s": -5},
        {"watched_s": 1e12, "duration_s": 60},
        {"watched_s": 90, "duration_s": 60},
    ):
        resp = await client.post(url, json=body, headers=viewers[0].auth)
        f.assert_problem(resp, 422, "view.invalid_progress")
    f.assert_problem(
        await client.post(url, json={"watched_s": "x", "duration_s": 1}, headers=viewers[0].auth),
        422,
        "validation_error",
    )
    # The first viewer reports twice (an older client's fields); the second once.
    for who, watched in ((viewers[0], 20), (viewers[0], 59), (viewers[1], 5)):
        resp = await client.post(
            url, json={"watched_s": watched, "duration_s": 60}, headers=who.auth
        )
        assert resp.status_code == 202
    share = await client.post(f"{API}/contents/{content_id}/share", headers=viewers[1].auth)
    assert share.status_code == 202
    await flush_counters(services)
    await flush_counters(services)  # a second flush finds nothing new: nothing counted twice
    async with services.read_sessions() as session:
        stats = await session.get(ContentStats, content_id)
        rows = (
            await session.exec(select(ContentViewer).where(ContentViewer.content_id == content_id))
        ).all()
    assert stats is not None
    # Two people, one view each; nobody read the article through (no reading progress came).
    assert (stats.views, stats.viewers, stats.completions, stats.shares) == (2, 2, 0, 1)
    assert sorted((r.user_id, r.views) for r in rows) == sorted((v.id, 1) for v in viewers)
    like = await client.post(f"{API}/contents/{content_id}/like", headers=viewers[0].auth)
    body = like.json()
    assert body["views"] == 2 and body["shares"] == 1 and body["completion_rate"] == 0.0
    detail = (await f.get(client, None, content_id)).json()
    assert detail["stats"]["views"] == 2 and detail["stats"]["likes"] == 1


async def test_a_batch_left_by_a_killed_flush_is_written_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    from content import engagement
    from content.feeds import FeedKeys

    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    view = await client.post(
        f"{API}/contents/{content_id}/views", json={"progress": 0.5}, headers=fan.auth
    )
    assert view.status_code == 202
    keys = FeedKeys(services.settings.redis_prefix)
    # A flush that wrote its batch and died before cleaning Redis up…
    for batch_id in await engagement.claim_batches(services.redis, keys):
        events = await engagement.read_batch(services.redis, keys, batch_id)
        async with services.write_sessions() as session:
            await engagement.apply_batch(session, batch_id, events)
            await session.commit()
    # …is finished by the next one without counting the batch again.
    await flush_counters(services)
    assert not await services.redis.smembers(keys.batches)
    async with services.read_sessions() as session:
        stats = await session.get(ContentStats, content_id)
    assert stats is not None and (stats.views, stats.viewers) == (1, 1)


async def test_writes_past_the_per_user_limit_are_429(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    limit = services.settings.interactions_per_minute
    codes = []
    for i in range(limit + 1):
        verb = client.post if i % 2 == 0 else client.delete
        codes.append(
            (await verb(f"{API}/contents/{content_id}/like", headers=fan.auth)).status_code
        )
    assert codes[:limit] == [200] * limit
    last = await client.post(f"{API}/contents/{content_id}/like", headers=fan.auth)
    body = f.assert_problem(last, 429, "interaction.rate_limited")
    assert int(last.headers["retry-after"]) >= 1 and body["status"] == 429


async def test_my_interactions_take_ids_comma_separated_as_wx_request_sends_an_array(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    first, second = await f.publish(client, crew), await f.publish(client, crew)
    assert (await client.post(f"{API}/contents/{second}/like", headers=fan.auth)).status_code == 200
    expected = [
        {"content_id": first, "liked": False, "favorited": False},
        {"content_id": second, "liked": True, "favorited": False},
    ]
    for params in ({"ids": f"{first},{second}"}, {"ids": [first, second]}):
        mine = await client.get(f"{API}/me/interactions", params=params, headers=fan.auth)
        assert mine.status_code == 200 and mine.json()["items"] == expected
    too_many = ",".join(f"{n:026d}" for n in range(51))  # 51 distinct ids
    for bad in (too_many, f"{first},../etc", ",", f"{first},{'x' * 300}"):
        resp = await client.get(f"{API}/me/interactions", params={"ids": bad}, headers=fan.auth)
        assert f.assert_problem(resp, 422, "ids.invalid")["field"] == "ids"
