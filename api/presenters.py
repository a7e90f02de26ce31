"""Turn domain views into the contract's response bodies (cards, details, tasks)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from content import media
from content.feeds import Card, FeedPage, stats_of
from content.items import ContentView
from content.kit import render
from content.models import Content, ContentStats, Revision, Stage, User
from content.review import HistoryEntry, TaskView, revision_state
from infra.clock import utcnow
from infra.services import Services


def user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut(
        id=user.id,
        display_name=user.display_name,
        roles=user.roles,
        disciplines=user.disciplines,
        username=user.username,
    )


def _card(
    content: Content,
    revision: Revision,
    author: User,
    links: dict[str, media.MediaLinks],
    pinned: bool,
    stats: ContentStats | None = None,
) -> schemas.CardOut:
    cover = links.get(revision.cover_media_id or "") or links.get(revision.media_id or "")
    video = links.get(revision.media_id or "")
    return schemas.CardOut(
        id=content.id,
        type=content.type,
        title=revision.title,
        summary=revision.summary,
        cover_url=cover.cover_url if cover else None,
        duration_s=video.duration_s if video else None,
        topics=revision.topics,
        audiences=revision.audiences,
        author=schemas.Author(id=author.id, display_name=author.display_name),
        published_at=content.published_at,
        pinned=pinned,
        stats=card_stats(stats),
    )


def _stage(revision: Revision) -> Stage | None:
    return revision.stage


async def _links(
    session: AsyncSession, services: Services, revisions: list[Revision], public: bool
) -> dict[str, media.MediaLinks]:
    ids = [m for r in revisions for m in (r.media_id, r.cover_media_id)]
    return await media.links(session, services.storage, services.settings, ids, public=public)


def _html(services: Services, body: str | None) -> str | None:
    """The body as viewers get it: sanitised HTML, images only from our published media."""
    return render(body, [services.settings.public_media_base_url or ""]) if body else None


def _is_pinned(content: Content) -> bool:
    return content.pinned_until is not None and content.pinned_until > utcnow()


async def cards(
    session: AsyncSession, services: Services, items: list[Card]
) -> list[schemas.CardOut]:
    links = await _links(session, services, [c.revision for c in items], public=True)
    return [_card(c.content, c.revision, c.author, links, c.pinned, c.stats) for c in items]


async def content_detail(
    session: AsyncSession, services: Services, view: ContentView
) -> schemas.ContentOut:
    rev, content = view.revision, view.content
    links = await _links(session, services, [rev], public=not view.findings_visible)
    stats = await stats_of(session, content.id)
    card = _card(content, rev, view.author, links, _is_pinned(content), stats)
    video = links.get(rev.media_id or "")
    return schemas.ContentOut(
        **card.model_dump(),
        status=content.status,
        review_stage=_stage(rev),
        # The Markdown source only for those who edit or review it; the public reads the
        # sanitised HTML (the source may hold raw HTML a careless client would run).
        body=rev.body if view.findings_visible else None,
        body_html=_html(services, rev.body),
        references=[schemas.Reference(**r) for r in rev.references],
        play=[schemas.Rendition(**r) for r in video.renditions] if video else [],
        media_id=rev.media_id,
        cover_media_id=rev.cover_media_id,
        discipline=rev.discipline,
        revision=rev.number,
        revision_status=revision_state(rev),
        reviewed_by=[schemas.ReviewedBy(stage=s, display_name=n) for s, n in view.reviewed_by],
        findings=[schemas.FindingOut(**f) for f in rev.findings] if view.findings_visible else None,
        created_at=content.created_at,
        updated_at=rev.updated_at,
    )


async def my_contents(
    session: AsyncSession,
    services: Services,
    rows: list[tuple[Content, Revision, str | None]],
    owner: User,
) -> list[schemas.MyContentOut]:
    links = await _links(session, services, [r for _, r, _ in rows], public=False)
    return [
        schemas.MyContentOut(
            **_card(c, r, owner, links, _is_pinned(c)).model_dump(),
            status=c.status,
            review_stage=_stage(r),
            revision=r.number,
            latest_comment=comment,
            updated_at=r.updated_at,
        )
        for c, r, comment in rows
    ]


async def tasks(
    session: AsyncSession, services: Services, views: list[TaskView]
) -> list[schemas.TaskOut]:
    links = await _links(session, services, [v.revision for v in views], public=False)
    out = []
    for v in views:
        rev = v.revision
        card = _card(v.content, rev, v.author, links, False)
        video = links.get(rev.media_id or "")
        out.append(
            schemas.TaskOut(
                id=v.task.id,
                content_id=v.content.id,
                revision=rev.number,
                stage=v.task.stage,
                status=v.task.status,
                claimed_by=v.task.claimed_by,
                claim_expires_at=v.task.claim_expires_at,
                decided_by=v.task.decided_by,
                comment=v.task.comment,
                findings=[schemas.FindingOut(**f) for f in rev.findings],
                content=schemas.TaskContent(
                    **card.model_dump(),
                    body=rev.body,
                    body_html=_html(services, rev.body),
                    references=[schemas.Reference(**r) for r in rev.references],
                    play=[schemas.Rendition(**r) for r in video.renditions] if video else [],
                    discipline=rev.discipline,
                ),
            )
        )
    return out


def _author(user: User | None) -> schemas.Author | None:
    return schemas.Author(id=user.id, display_name=user.display_name) if user else None


def review_history(entries: list[HistoryEntry]) -> list[schemas.ReviewEventOut]:
    return [
        schemas.ReviewEventOut(
            id=e.id,
            revision=e.revision,
            stage=e.stage,
            action=e.action,
            decision=e.decision,
            from_status=e.from_status,
            to_status=e.to_status,
            actor=_author(e.actor),
            reviewer=_author(e.reviewer),
            comment=e.comment,
            created_at=e.created_at,
        )
        for e in entries
    ]


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


def stats_out(content_id: str, stats: ContentStats) -> schemas.StatsOut:
    return schemas.StatsOut(
        **card_stats(stats).model_dump(),
        content_id=content_id,
        viewers=stats.viewers,
        completion_rate=round(stats.completions / stats.viewers, 4) if stats.viewers else None,
    )


async def feed_page(session: AsyncSession, services: Services, page: FeedPage) -> bytes:
    """A feed page as the bytes sent to every viewer (cached as they are, so serialised once)."""
    body = schemas.Page[schemas.CardOut](
        items=await cards(session, services, page.cards), next_cursor=page.next_cursor
    )
    return body.model_dump_json().encode()
