"""Cards as feeds list them, and the topics and audiences content is filed under."""

from __future__ import annotations

from pydantic import BaseModel

from api.schemas.common import Timestamp
from content.models import ContentType


class Author(BaseModel):
    id: str
    display_name: str


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
    duration_s: float | None = None
    topics: list[str]
    audiences: list[str]
    author: Author
    published_at: Timestamp | None
    pinned: bool
    stats: Stats


class TopicOut(BaseModel):
    slug: str
    name: str
