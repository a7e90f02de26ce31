"""A job's writes carry out what they declared as a request's do: when the worker's `_write`
returns, Redis's feeds follow the rows and every process has been told to drop its cached pages."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from content import engagement, feeds, items
from content.models import Content, User
from infra.invalidation import Listener
from infra.services import Services
from tests import factories as f
from tests.helpers import eventually
from workers.app import _write


@contextlib.asynccontextmanager
async def _another_process(services: Services) -> AsyncIterator[list[str]]:
    """What an API process subscribed to the invalidations hears, from now on."""
    channel = feeds.FeedKeys(services.settings.redis_prefix).invalidations
    heard: list[str] = []
    listener = Listener(services.redis, channel, heard.append, lambda _subscribed: None)
    task = asyncio.create_task(listener.run())
    probe = f"probe-{secrets.token_hex(4)}"

    async def subscribed() -> bool:
        # Heard once the server has the subscription (the app's listener drops nothing for it).
        await services.redis.publish(channel, f"{secrets.token_hex(8)} {probe}")
        return probe in heard

    try:
        await eventually(subscribed)
        yield heard
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    assert user is not None
    return user


async def test_a_takedown_written_by_a_job_leaves_every_feed_and_every_cached_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew, topics=["health"], audiences=["elderly"])
    keys = feeds.FeedKeys(services.settings.redis_prefix)
    placed = [
        keys.feed(tab, scope)
        for tab in (feeds.Tab.latest, feeds.Tab.hot)
        for scope in ("all", "t:health", "a:elderly")
    ] + [keys.author(crew.creator.id)]
    assert None not in [await services.redis.zscore(key, content_id) for key in placed]

    async def take_down(session: AsyncSession) -> Content:
        admin = await _user(session, crew.admin.id)
        return await items.takedown(session, admin, content_id, "与事实不符")

    async with _another_process(services) as heard:
        await _write(services, take_down)
        # Redis is in line when the write returns: nothing to wait for.
        assert [await services.redis.zscore(key, content_id) for key in placed] == [None] * len(
            placed
        )

        async def told_to_drop_pages() -> bool:
            return feeds.EVERYTHING in heard

        await eventually(told_to_drop_pages)


async def test_a_follow_written_by_a_job_drops_that_viewers_following_pages_everywhere(
    services: Services,
) -> None:
    creator = await f.person(services, "creator")
    viewer = await f.person(services, "viewer")

    async def follow(session: AsyncSession) -> int:
        return await engagement.follow(session, await _user(session, viewer.id), creator.id, True)

    async with _another_process(services) as heard:
        await _write(services, follow)

        async def told_to_drop_their_pages() -> bool:
            return feeds.user_entry(viewer.id) in heard

        await eventually(told_to_drop_their_pages)
