"""Every Redis key and channel the feeds use, laid out for Redis Cluster: keys that one command
touches together share a hash tag (docs/feeds.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tab(StrEnum):
    latest = "latest"
    hot = "hot"
    following = "following"


# The sorted sets a published item is in: one per tab and scope. Scopes are "all", "t:<topic>",
# "a:<audience>" (latest and hot) and "u:<author>" (the author's timeline, merged on read into
# the following tab).
ORDERED_TABS = (Tab.latest, Tab.hot)
AUTHOR_TAB = "author"


def scope(topic: str | None = None, audience: str | None = None) -> str:
    if topic:
        return f"t:{topic}"
    if audience:
        return f"a:{audience}"
    return "all"


@dataclass(frozen=True)
class FeedKeys:
    prefix: str

    def feed(self, tab: str, scope_: str) -> str:
        return f"{self.prefix}:{{feed:{tab}:{scope_}}}"

    def author(self, author_id: str) -> str:
        return self.feed(AUTHOR_TAB, f"u:{author_id}")

    def rebuilding(self, key: str) -> str:
        """The copy a rebuild fills before it replaces ``key`` (same hash tag, so RENAME works)."""
        return f"{key}:rebuild"

    @property
    def pins(self) -> str:
        """Pinned items, scored by the second their pin ends."""
        return f"{self.prefix}:{{feed:pins}}"

    @property
    def built(self) -> str:
        """Present once a rebuild filled the feeds; gone if Redis lost its data."""
        return f"{self.prefix}:{{feed:meta}}:built"

    @property
    def rebuild_lock(self) -> str:
        """Set while a rebuild was asked for, so readers ask once."""
        return f"{self.prefix}:{{feed:meta}}:rebuild-lock"

    @property
    def rebuilding_now(self) -> str:
        """Held by the one rebuild running (two would swap each other's half-filled copies)."""
        return f"{self.prefix}:{{feed:meta}}:rebuilding"

    @property
    def invalidations(self) -> str:
        """Pub/sub channel: every API process drops its cached pages on a message."""
        return f"{self.prefix}:feeds:invalidate"

    @property
    def buffer(self) -> str:
        """Views and shares waiting to be written to the database."""
        return f"{self.prefix}:{{counters}}:buffer"

    def batch(self, batch_id: str) -> str:
        return f"{self.prefix}:{{counters}}:batch:{batch_id}"

    @property
    def batches(self) -> str:
        return f"{self.prefix}:{{counters}}:batches"

    @property
    def flush_lease(self) -> str:
        """Held by the one counter flush running (a short lease its holder renews)."""
        return f"{self.prefix}:{{counters}}:flush-lease"
