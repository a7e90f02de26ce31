"""What viewers do to content and creators, and what they did."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.feed import Stats


class StatsOut(Stats):
    """A content's counters after a like or favourite (or their withdrawal)."""

    content_id: str
    viewers: int = 0
    completion_rate: float | None = None


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    watched_s: float = Field(description="how far the viewer got, in seconds")
    duration_s: float = Field(description="the length of what was played, in seconds")


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
