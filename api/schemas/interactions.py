"""What viewers do to content and creators, and what they did."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.feed import Stats
from content.engagement import ViewEvent


class StatsOut(Stats):
    """A content's counters after a like or favourite (or their withdrawal)."""

    content_id: str
    viewers: int = 0
    completion_rate: float | None = None


class ViewIn(BaseModel):
    """One view event. A person counts once a day as a view and once as a viewer; how far they
    got is credited only as far as the time the server saw allows (docs/feeds.md)."""

    model_config = ConfigDict(extra="forbid")
    event: ViewEvent = Field(
        default=ViewEvent.progress,
        description="`start` when a play (or the reading) begins, `progress` as it goes on",
    )
    watched_s: float | None = Field(
        default=None,
        description="a video's playback position, in seconds, which decides how far it was "
        "watched (an article's: seconds on the page, which never completes it)",
    )
    duration_s: float | None = Field(
        default=None,
        description="accepted from older clients and checked for sense, but never trusted: "
        "a video's length is its media's probed duration; 0 means none is known (an article)",
    )
    progress: float | None = Field(
        default=None,
        description="how far through, 0–1: an article's reading progress, which alone counts "
        "its view and, at the end, its completion (a video's position as a share of its "
        "length, if watched_s is not sent)",
    )


class AcceptedOut(BaseModel):
    content_id: str
    accepted: bool = True


class FollowOut(BaseModel):
    creator_id: str
    following: bool
    followers: int


class MyInteraction(BaseModel):
    content_id: str
    liked: bool
    favorited: bool


class MyInteractions(BaseModel):
    items: list[MyInteraction]
