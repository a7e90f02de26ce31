"""Reading contents: one in detail (what each viewer may see of it), and a creator's own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.accounts import require_role
from content.errors import NotFound
from content.kit import page_by_id
from content.models import (
    Content,
    Media,
    ReviewEvent,
    ReviewTask,
    Revision,
    RevisionImage,
    RevisionState,
    Role,
    Stage,
    TaskStatus,
    User,
)
from content.review import can_see_unpublished, is_owner, is_public


@dataclass
class ContentView:
    content: Content
    revision: Revision
    author: User
    findings_visible: bool
    reviewed_by: list[tuple[Stage, str]]


async def _reviewed_by(
    session: AsyncSession, revision_id: str, stages: tuple[Stage, ...]
) -> list[tuple[Stage, str]]:
    rows = await session.exec(
        select(ReviewTask.stage, User.display_name)
        .join(User, col(User.id) == col(ReviewTask.decided_by))
        .where(
            ReviewTask.revision_id == revision_id,
            ReviewTask.status == TaskStatus.approved,
            col(ReviewTask.stage).in_(stages),
        )
        .order_by(col(ReviewTask.decided_at))
    )
    return [(Stage(s), name) for s, name in rows.all()]


async def detail(session: AsyncSession, viewer: User | None, content_id: str) -> ContentView:
    """What ``viewer`` may see of a content: the working revision for its owner, the newest
    submitted one for reviewers and admins, the live one for everybody else; 404 otherwise."""
    content = await session.get(Content, content_id)
    if content is None:
        raise NotFound("no such content", code="content.not_found")
    privileged = await can_see_unpublished(session, viewer, content)
    revision_id: str | None
    if is_owner(viewer, content):
        revision_id = content.working_revision_id
    elif privileged:
        revision_id = (
            await session.exec(
                select(Revision.id)
                .where(Revision.content_id == content.id, Revision.state != RevisionState.draft)
                .order_by(col(Revision.number).desc())
                .limit(1)
            )
        ).first() or content.live_revision_id
    elif is_public(content):
        revision_id = content.live_revision_id
    else:
        revision_id = None
    revision = await session.get(Revision, revision_id) if revision_id else None
    if revision is None:
        raise NotFound("no such content", code="content.not_found")
    author = await session.get(User, content.owner_id)
    if author is None:  # the foreign key rules it out
        raise NotFound("no such content", code="content.not_found")
    stages = (Stage.political, Stage.science) if privileged else (Stage.science,)
    return ContentView(
        content, revision, author, privileged, await _reviewed_by(session, revision.id, stages)
    )


async def mine(
    session: AsyncSession, user: User, cursor: str | None, limit: int
) -> tuple[list[tuple[Content, Revision, str | None]], str | None]:
    """The owner's contents in every status, newest first, each with the latest review comment."""
    require_role(user, Role.creator)
    query = (
        select(Content, Revision)
        .join(Revision, col(Revision.id) == col(Content.working_revision_id))
        .where(Content.owner_id == user.id)
    )
    page, next_cursor = await page_by_id(
        session, query, col(Content.id), cursor, limit, key=lambda row: row[0].id, newest_first=True
    )
    ids = [c.id for c, _ in page]
    comments: dict[str, str] = {}
    if ids:
        events = await session.exec(
            select(ReviewEvent.content_id, ReviewEvent.comment)
            .where(col(ReviewEvent.content_id).in_(ids), col(ReviewEvent.comment).is_not(None))
            .order_by(col(ReviewEvent.id))
        )
        for cid, comment in events.all():
            comments[cid] = comment or ""
    return [(c, r, comments.get(c.id)) for c, r in page], next_cursor


async def shown_images(session: AsyncSession, revisions: list[Revision]) -> dict[str, list[str]]:
    """Revision id → the images its body shows that were checked to be its author's: the only
    references a reader's body gets a URL for (one a body names without such a check, from
    before images were checked, shows nothing)."""
    if not revisions:
        return {}
    rows = await session.exec(
        select(RevisionImage.revision_id, RevisionImage.media_id)
        .join(Revision, col(Revision.id) == col(RevisionImage.revision_id))
        .join(Media, col(Media.id) == col(RevisionImage.media_id))
        .where(
            col(RevisionImage.revision_id).in_([r.id for r in revisions]),
            col(Media.owner_id) == col(Revision.author_id),
        )
    )
    out: dict[str, list[str]] = {}
    for revision_id, media_id in rows.all():
        out.setdefault(revision_id, []).append(media_id)
    return out
