"""An in-process cache of ready-to-send response bodies (the "near cache" in front of Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class NearCache(Generic[V]):
    """Entries live ``ttl_s`` at most and are dropped by ``clear`` (another process's message).

    A build that began before a ``clear`` is never stored, and a request after it never waits on
    such a build, so nothing read before an invalidation is served after it. While ``enabled`` is
    false (the invalidation channel is not connected) nothing is cached.
    """

    def __init__(self, max_entries: int, ttl_s: float) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self.enabled = False
        self.generation = 0
        self._data: dict[Hashable, tuple[float, V]] = {}
        self._building: dict[tuple[Hashable, int], asyncio.Future[V]] = {}

    def get(self, key: Hashable) -> V | None:
        entry = self._data.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def clear(self, match: Callable[[Hashable], bool] | None = None) -> None:
        """Forget every entry (or those ``match`` picks) and every build under way."""
        self.generation += 1
        if match is None:
            self._data.clear()
        else:
            for key in [k for k in self._data if match(k)]:
                del self._data[key]

    def _put(self, key: Hashable, value: V, generation: int, ttl_s: float) -> None:
        if not self.enabled or generation != self.generation or ttl_s <= 0:
            return
        if len(self._data) >= self.max_entries:
            # Oldest inserted first: entries are short-lived, so insertion order is near enough
            # to least recently used, and a hit stays a plain dict lookup.
            self._data.pop(next(iter(self._data)))
        self._data[key] = (time.monotonic() + min(ttl_s, self.ttl_s), value)

    async def get_or_build(
        self, key: Hashable, build: Callable[[], Awaitable[tuple[V, float]]]
    ) -> V:
        """The cached value, or one build shared by every request that misses meanwhile.
        ``build`` returns the value and how long it may be kept (at most the cache's ttl)."""
        hit = self.get(key)
        if hit is not None:
            return hit
        generation = self.generation
        flight = (key, generation)
        waiting = self._building.get(flight)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._building[flight] = future
        try:
            value, ttl_s = await build()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            self._building.pop(flight, None)
        future.set_result(value)
        self._put(key, value, generation, ttl_s)
        return value
