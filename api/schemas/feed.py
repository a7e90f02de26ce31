"""Cards as feeds list them, and the topics and audiences content is filed under."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Timestamp
from content.feeds import Orientation
from content.models import ContentType


class Author(BaseModel):
    id: str
    display_name: str
    avatar_url: str | None = None


class Stats(BaseModel):
    views: int = 0
    likes: int = 0
    favorites: int = 0
    shares: int = 0
    comments: int = 0


class CardOut(BaseModel):
    id: str
    type: ContentType
    title: str
    summary: str
    cover_url: str | None
    cover_width: int | None = Field(default=None, description="the cover as served, in pixels")
    cover_height: int | None = None
    duration_s: float | None = Field(default=None, description="a video's length, in seconds")
    orientation: Orientation | None = Field(
        default=None, description="a video's, from its display size; null until it is ready"
    )
    preview_url: str | None = Field(
        default=None,
        description="a short silent clip to autoplay in a list (a video's smallest rendition "
        "if it has no clip)",
    )
    topics: list[str]
    audiences: list[str]
    author: Author
    published_at: Timestamp | None
    pinned: bool
    stats: Stats


class TopicOut(BaseModel):
    slug: str
    name: str
