"""A content as its detail page shows it, and as its creator lists it."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from api.presenters.feed import body_html, card, links, playback
from content import media
from content.feeds import is_pinned, stats_of
from content.items import ContentView, shown_images
from content.kit import resolve_images
from content.models import Content, Revision, Stage, User
from content.review import revision_state
from infra.services import Services


def _stage(revision: Revision) -> Stage | None:
    return revision.stage


def _may_show_images(body: str | None) -> bool:
    return body is not None and "media:" in body.lower()


async def bodies_html(
    session: AsyncSession, services: Services, revisions: list[Revision], *, public: bool
) -> dict[str, str | None]:
    """Revision id → its body as viewers get it: sanitised HTML whose `media:<id>` images point
    at URLs the viewer can load, with their width and height. ``public`` for a published
    revision read by anyone (its CDN copy once there is one); otherwise signed URLs (the owner,
    reviewers), which are never public ones: unpublished media has no public copy."""
    # Only a body naming `media:` can show one of our images: the others cost no query.
    shown = await shown_images(session, [r for r in revisions if _may_show_images(r.body)])
    sources = await media.image_sources(
        session,
        services.storage,
        services.settings,
        {m for ids in shown.values() for m in ids},
        public=public,
    )
    out: dict[str, str | None] = {}
    for rev in revisions:
        rendered = body_html(services, rev.body)
        if rendered is not None:
            allowed = shown.get(rev.id, [])
            rendered = resolve_images(rendered, {m: sources[m] for m in allowed if m in sources})
        out[rev.id] = rendered
    return out


async def content_detail(
    session: AsyncSession, services: Services, view: ContentView
) -> schemas.ContentOut:
    rev, content = view.revision, view.content
    found = await links(session, services, [rev], not view.findings_visible, [view.author])
    html = await bodies_html(session, services, [rev], public=not view.findings_visible)
    stats = await stats_of(session, content.id)
    summary = card(content, rev, view.author, found, is_pinned(content.pinned_until), stats)
    video = found.get(rev.media_id or "")
    return schemas.ContentOut(
        **summary.model_dump(),
        status=content.status,
        review_stage=_stage(rev),
        # The Markdown source only for those who edit or review it; the public reads the
        # sanitised HTML (the source may hold raw HTML a careless client would run).
        body=rev.body if view.findings_visible else None,
        body_html=html[rev.id],
        references=[schemas.Reference(**r) for r in rev.references],
        **playback(video),
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
    found = await links(session, services, [r for _, r, _ in rows], False, [owner])
    return [
        schemas.MyContentOut(
            **card(c, r, owner, found, is_pinned(c.pinned_until)).model_dump(),
            status=c.status,
            review_stage=_stage(r),
            revision=r.number,
            latest_comment=comment,
            updated_at=r.updated_at,
        )
        for c, r, comment in rows
    ]
