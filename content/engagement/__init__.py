"""Engagement: likes, favourites and follows (rows with exact counters), views and shares
buffered in Redis and flushed in batches, and the write limits they share."""

from content.engagement.counters import (
    View,
    apply_batch,
    checked_view,
    claim_batches,
    read_batch,
    record_share,
    record_view,
    release_batch,
)
from content.engagement.limits import Limits, check_rate
from content.engagement.reactions import follow, mine, published, react

__all__ = [
    "Limits",
    "View",
    "apply_batch",
    "check_rate",
    "checked_view",
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
