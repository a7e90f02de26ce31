"""Feeds: latest (global, per topic, per audience), hot and following, read from Redis sorted
sets with the database as the truth and the fallback. See docs/feeds.md."""

from content.feeds.cards import (
    Card,
    Orientation,
    load,
    orientation,
    published_cards_query,
    stats_of,
)
from content.feeds.cursors import Position
from content.feeds.hooks import (
    EVERYTHING,
    comments_entry,
    details_entry,
    on_published,
    run,
    user_entry,
)
from content.feeds.keys import FeedKeys, Tab
from content.feeds.order import rebuild, sync
from content.feeds.pins import is_pinned
from content.feeds.ranking import hot_score
from content.feeds.reading import FeedPage, FeedQuery, page

__all__ = [
    "EVERYTHING",
    "Card",
    "FeedKeys",
    "FeedPage",
    "FeedQuery",
    "Orientation",
    "Position",
    "Tab",
    "comments_entry",
    "details_entry",
    "hot_score",
    "is_pinned",
    "load",
    "on_published",
    "orientation",
    "page",
    "published_cards_query",
    "rebuild",
    "run",
    "stats_of",
    "sync",
    "user_entry",
]
