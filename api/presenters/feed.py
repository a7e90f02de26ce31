"""Cards (the part of a content every listing shows), the feed pages made of them, and the
topics and audiences content is filed under."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from content import media
from content.feeds import Card, FeedPage, orientation
from content.kit import render
from content.models import (
    Audience,
    Content,
    ContentStats,
    Discipline,
    Revision,
    Topic,
    User,
)
from infra.services import Services


def card(
    content: Content,
    revision: Revision,
    author: User,
    links: dict[str, media.MediaLinks],
    pinned: bool,
    stats: ContentStats | None = None,
) -> schemas.CardOut:
    cover = links.get(revision.cover_media_id or "") or links.get(revision.media_id or "")
    video = links.get(revision.media_id or "")
    avatar = links.get(author.avatar_media_id or "")
    return schemas.CardOut(
        id=content.id,
        type=content.type,
        title=revision.title,
        summary=revision.summary,
        cover_url=cover.cover_url if cover else None,
        cover_width=cover.cover_width if cover else None,
        cover_height=cover.cover_height if cover else None,
        duration_s=video.duration_s if video else None,
        orientation=orientation(video.width, video.height) if video else None,
        preview_url=_preview(video),
        topics=revision.topics,
        audiences=revision.audiences,
        author=schemas.Author(
            id=author.id,
            display_name=author.display_name,
            avatar_url=avatar.cover_url if avatar else None,
        ),
        published_at=content.published_at,
        pinned=pinned,
        stats=card_stats(stats),
    )


def playback(video: media.MediaLinks | None) -> dict[str, Any]:
    """A video's ``play`` list and its ``captions`` tracks, at the links' URLs."""
    if video is None:
        return {"play": [], "captions": []}
    return {
        "play": [schemas.Rendition(**r) for r in video.renditions],
        "captions": [schemas.Caption(**c) for c in video.captions],
    }


def _preview(video: media.MediaLinks | None) -> str | None:
    """The clip a list autoplays: the media's preview, else its smallest rendition."""
    if video is None:
        return None
    if video.preview_url:
        return video.preview_url
    smallest = min(video.renditions, key=lambda r: r.get("width") or 0, default=None)
    return str(smallest["url"]) if smallest else None


async def links(
    session: AsyncSession,
    services: Services,
    revisions: list[Revision],
    public: bool,
    people: Iterable[User] = (),
) -> dict[str, media.MediaLinks]:
    """Links to the revisions' media and the ``people``'s avatars, in one query."""
    ids = [m for r in revisions for m in (r.media_id, r.cover_media_id)]
    ids += [p.avatar_media_id for p in people]
    return await media.links(session, services.storage, services.settings, ids, public=public)


def body_html(services: Services, body: str | None) -> str | None:
    """The body as viewers get it: sanitised HTML, images only from our published media."""
    return render(body, [services.settings.public_media_base_url or ""]) if body else None


async def cards(
    session: AsyncSession, services: Services, items: list[Card]
) -> list[schemas.CardOut]:
    found = await links(
        session, services, [c.revision for c in items], True, [c.author for c in items]
    )
    return [card(c.content, c.revision, c.author, found, c.pinned, c.stats) for c in items]


def card_stats(stats: ContentStats | None) -> schemas.Stats:
    if stats is None:
        return schemas.Stats()
    return schemas.Stats(
        views=stats.views,
        likes=stats.likes,
        favorites=stats.favorites,
        shares=stats.shares,
        comments=stats.comments,
    )


async def feed_page(session: AsyncSession, services: Services, page: FeedPage) -> bytes:
    """A feed page as the bytes sent to every viewer (cached as they are, so serialised once)."""
    body = schemas.Page[schemas.CardOut](
        items=await cards(session, services, page.cards), next_cursor=page.next_cursor
    )
    return body.model_dump_json().encode()


def topics(rows: Sequence[Topic | Audience | Discipline]) -> list[schemas.TopicOut]:
    """Topics, audiences or disciplines: each is a slug and a name."""
    return [schemas.TopicOut(slug=t.slug, name=t.name) for t in rows]
