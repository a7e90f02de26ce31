"""This process's cache of feed pages, content details and comment pages (pre-serialised bytes)
and its link to the others: a takedown, publish or pin anywhere empties it everywhere before the
call that caused it returns; a comment shown or gone, or a counter moved, empties that content's
comment pages and detail the same way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from pydantic import BaseModel

from api.etags import cache_control
from api.middleware import NOSNIFF
from content import feeds
from infra.clock import utcnow
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
    # What api/fastpath.py sends with a shared page, built once per page rather than per request:
    # the headers etags.respond and the middleware would give it, but the request id.
    etag_bytes: bytes = field(init=False)
    headers: tuple[tuple[bytes, bytes], ...] = field(init=False)
    not_modified_headers: tuple[tuple[bytes, bytes], ...] = field(init=False)

    def __post_init__(self) -> None:
        validators = (
            (b"etag", self.etag.encode()),
            (b"cache-control", cache_control(private=False).encode()),
        )
        sent = (
            *validators,
            (b"content-length", str(len(self.body)).encode()),
            (b"content-type", b"application/json"),
            NOSNIFF,
        )
        object.__setattr__(self, "etag_bytes", validators[0][1])
        object.__setattr__(self, "headers", sent)
        object.__setattr__(self, "not_modified_headers", (*validators, NOSNIFF))


def lifetime(ttl_s: float, pins_until: Iterable[datetime]) -> float:
    """How long a page may be kept: the cache's TTL, shorter if a pin it shows ends sooner (the
    end of a pin must show at once; a pin already over keeps the page out of the cache)."""
    now = utcnow()
    return min([ttl_s, *((until - now).total_seconds() for until in pins_until)])


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
    details: NearCache[CachedPage]  # a published content as a signed-out reader sees it, by id
    # Query strings of /feed the route has validated, to their page: what api/fastpath.py reads
    # a page by without parsing. Only a parse is remembered, never a page, so it needs no
    # invalidation; it is forgotten when full.
    queries: dict[bytes, FeedPageKey] = field(default_factory=dict)

    def remember_query(self, raw: bytes, key: FeedPageKey) -> None:
        if len(self.queries) >= self.cache.max_entries:
            self.queries.clear()
        self.queries[raw] = key

    async def invalidate(self, what: str) -> None:
        self._drop(what)  # this process at once, even if Redis is unreachable
        await broadcast(
            self.services.redis,
            self.keys.invalidations,
            what,
            self.services.settings.feed_invalidate_wait_s,
        )

    def _drop(self, what: str) -> None:
        # Rebuilt pages must not come from older rows; but counter moves (the details entry,
        # sent for every like or view) change no row a reader must not see a moment late, and
        # fencing on each would keep every read on the primary under ordinary traffic.
        counters_only = what.startswith(feeds.details_entry([]))
        if self.services.replica is not None and not counters_only:
            self.services.replica.fence()
        if what == feeds.EVERYTHING:
            self.cache.clear()
            self.comments.clear()
            self.details.clear()
        elif what.startswith(feeds.comments_entry("")):
            self.comments.clear(match=lambda key: _content_of(key) == what)
            self.details.clear(match=lambda key: feeds.comments_entry(str(key)) == what)
        elif what.startswith(prefix := feeds.details_entry([])):
            ids = set(what.removeprefix(prefix).split())
            self.details.clear(match=lambda key: key in ids)
        else:
            self.cache.clear(match=lambda key: _user_of(key) == what)

    def _state(self, subscribed: bool) -> None:
        # Messages may have been missed while unsubscribed: start empty either way.
        if self.services.replica is not None:
            self.services.replica.fence()
        for cache in (self.cache, self.comments, self.details):
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
