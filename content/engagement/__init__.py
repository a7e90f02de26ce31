"""Engagement: likes, favourites, shares and follows (rows with exact counters), views buffered
in Redis and flushed in batches, each counted once per person (docs/feeds.md), and the write
limits they share; the lists a person keeps (favourites, likes, whom they follow) and how
they show to others (name, avatar)."""

from content.engagement.counters import (
    apply_batch,
    claim_batches,
    read_batch,
    record_view,
    release_batch,
)
from content.engagement.limits import Limits, check_rate
from content.engagement.lists import Followed, creator_contents, following, reacted
from content.engagement.profiles import NAME_CHARS, ProfileChange, update_profile
from content.engagement.reactions import follow, mine, published, react
from content.engagement.shares import record_share
from content.engagement.views import Report, ViewEvent

__all__ = [
    "NAME_CHARS",
    "Followed",
    "Limits",
    "ProfileChange",
    "Report",
    "ViewEvent",
    "apply_batch",
    "check_rate",
    "claim_batches",
    "creator_contents",
    "follow",
    "following",
    "mine",
    "published",
    "react",
    "reacted",
    "read_batch",
    "record_share",
    "record_view",
    "release_batch",
    "update_profile",
]
