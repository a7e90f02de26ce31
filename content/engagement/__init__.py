"""Engagement: likes, favourites, shares and follows (rows with exact counters), views buffered
in Redis and flushed in batches, each counted once per person (docs/feeds.md), and the write
limits they share."""

from content.engagement.counters import (
    apply_batch,
    claim_batches,
    read_batch,
    record_view,
    release_batch,
)
from content.engagement.limits import Limits, check_rate
from content.engagement.reactions import follow, mine, published, react
from content.engagement.shares import record_share
from content.engagement.views import Report, ViewEvent

__all__ = [
    "Limits",
    "Report",
    "ViewEvent",
    "apply_batch",
    "check_rate",
    "claim_batches",
    "follow",
    "mine",
    "published",
    "react",
    "read_batch",
    "record_share",
    "record_view",
    "release_batch",
]
