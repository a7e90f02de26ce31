"""This process's cache of feed and comment pages (pre-serialised bytes) and its link to the
others: a takedown, publish or pin anywhere empties it everywhere before the call that caused it
returns; a comment shown or gone empties that content's comment pages the same way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass
from typing import NamedTuple

from pydantic import BaseModel

from content import feeds
from infra.invalidation import Listener, broadcast
from infra.nearcache import NearCache
from infra.services import Services


class FeedPageKey(NamedTuple):
    """A feed page in the near-cache. A tuple, so a hit costs one hash of plain values."""

    tab: feeds.Tab
    topic: str | None
    audience: str | None
    cursor: str | None
    limit: int
    viewer: str | None  # the user of a personal page (the following tab), else None


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    etag: str


class CommentPageKey(NamedTuple):
    """A page of a content's comments (``parent_id`` None) or of one thread's replies."""

    content_id: str
    parent_id: str | None
    order: str
    cursor: str | None
    limit: int


@dataclass(frozen=True)
class CachedComments:
    """A shared comment page: its bytes for readers signed out, its model for a signed-in
    reader's additions (their likes, their held comments)."""

    body: bytes
    etag: str
    model: BaseModel


@dataclass
class FeedRuntime:
    services: Services
    keys: feeds.FeedKeys
    cache: NearCache[CachedPage]
    comments: NearCache[CachedComments]

    async def invalidate(self, what: str) -> None:
        self._drop(what)  # this process at once, even if Redis is unreachable
        await broadcast(
            self.services.redis,
            self.keys.invalidations,
            what,
            self.services.settings.feed_invalidate_wait_s,
        )

    def _drop(self, what: str) -> None:
        if self.services.replica is not None:  # rebuilt pages must not come from older rows
            self.services.replica.fence()
        if what == feeds.EVERYTHING:
            self.cache.clear()
            self.comments.clear()
        elif what.startswith(feeds.comments_entry("")):
            self.comments.clear(match=lambda key: _content_of(key) == what)
        else:
            self.cache.clear(match=lambda key: _user_of(key) == what)

    def _state(self, subscribed: bool) -> None:
        # Messages may have been missed while unsubscribed: start empty either way.
        if self.services.replica is not None:
            self.services.replica.fence()
        for cache in (self.cache, self.comments):
            cache.enabled = subscribed
            cache.clear()


def _content_of(key: Hashable) -> str | None:
    if isinstance(key, CommentPageKey):
        return feeds.comments_entry(key.content_id)
    return None


def _user_of(key: Hashable) -> str | None:
    if isinstance(key, FeedPageKey) and key.viewer is not None:
        return feeds.user_entry(key.viewer)
    return None


@contextlib.asynccontextmanager
async def feed_runtime(services: Services) -> AsyncIterator[FeedRuntime]:
    settings = services.settings
    runtime = FeedRuntime(
        services,
        feeds.FeedKeys(settings.redis_prefix),
        NearCache(settings.feed_cache_entries, settings.feed_cache_ttl_s),
        NearCache(settings.feed_cache_entries, settings.feed_cache_ttl_s),
    )
    listener = Listener(services.redis, runtime.keys.invalidations, runtime._drop, runtime._state)
    task = asyncio.create_task(listener.run(), name="feed-invalidations")
    try:
        yield runtime
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
