"""Creating, editing, submitting, withdrawing, taking down and pinning contents."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from content import effects, jobs, review
from content.accounts import require_role
from content.errors import Conflict, Invalid, NotFound
from content.items.drafts import EDITABLE_FIELDS, Draft, body_images, validated
from content.items.reading import ContentView
from content.kit import as_utc
from content.kit import clean_text as _clean_text
from content.models import (
    Action,
    Content,
    ContentType,
    Revision,
    RevisionImage,
    RevisionState,
    Role,
    User,
)
from content.review import is_owner, is_public
from infra.clock import utcnow
from infra.settings import Settings


async def create(
    session: AsyncSession, settings: Settings, owner: User, ctype: ContentType, draft: Draft
) -> ContentView:
    require_role(owner, Role.creator)
    draft.given |= set(EDITABLE_FIELDS)
    values = await validated(session, settings, owner, ctype, None, draft)
    images = await body_images(session, owner, values["body"])
    content = Content(type=ctype, owner_id=owner.id)
    revision = Revision(content_id=content.id, number=1, author_id=owner.id, **values)
    content.working_revision_id = revision.id
    session.add(content)
    await session.flush()
    session.add(revision)
    await session.flush()
    await _set_images(session, revision.id, images)
    return ContentView(content, revision, owner, True, [])


async def working_revision(session: AsyncSession, content: Content) -> Revision:
    revision = await session.get(Revision, content.working_revision_id)
    if revision is None:  # every content is created with its first revision
        raise NotFound("no such content", code="content.not_found")
    return revision


async def _owned(session: AsyncSession, user: User, content_id: str) -> tuple[Content, Revision]:
    content = await session.get(Content, content_id)
    if content is None or not is_owner(user, content):
        raise NotFound("no such content", code="content.not_found")
    return content, await working_revision(session, content)


async def edit(
    session: AsyncSession, settings: Settings, user: User, content_id: str, draft: Draft
) -> ContentView:
    """Edit a draft in place; editing anything decided starts a new draft revision (the
    workflow's ``edit``), submitted revisions never change."""
    content, revision = await _owned(session, user, content_id)
    in_place = revision.state == RevisionState.draft and content.status not in review.ENDED
    if not in_place and review.find(content, revision, Action.edit) is None:
        raise Conflict(
            f"content that is {content.status}"
            + (" (a revision is in review)" if revision.state == RevisionState.in_review else "")
            + " cannot be edited",
            code="content.not_editable",
        )
    values = await validated(session, settings, user, content.type, revision, draft)
    images = await body_images(session, user, values["body"])
    if in_place:
        for key, value in values.items():
            setattr(revision, key, value)
        revision.updated_at = utcnow()
        session.add(revision)
        await session.flush()
        await _set_images(session, revision.id, images)
        return ContentView(content, revision, user, True, [])
    new = await review.apply(session, content, revision, Action.edit, user, values=values)
    await _set_images(session, new.id, images)
    return ContentView(content, new, user, True, [])


async def _set_images(session: AsyncSession, revision_id: str, media_ids: list[str]) -> None:
    """Record the images a draft revision's body shows (checked by `body_images`)."""
    await session.exec(
        sa.delete(RevisionImage).where(col(RevisionImage.revision_id) == revision_id)
    )
    session.add_all(RevisionImage(revision_id=revision_id, media_id=m) for m in media_ids)
    await session.flush()


async def submit(session: AsyncSession, user: User, content_id: str) -> ContentView:
    content, revision = await _owned(session, user, content_id)
    await review.apply(session, content, revision, Action.submit, user)
    # Checked again (a refusal rolls the submit back): an image may have failed processing
    # since the draft was saved.
    await _set_images(session, revision.id, await body_images(session, user, revision.body))
    jobs.after_commit(session, jobs.MACHINE_REVIEW, revision.id)
    return ContentView(content, revision, user, True, [])


async def withdraw(session: AsyncSession, user: User, content_id: str) -> ContentView:
    content, revision = await _owned(session, user, content_id)
    await review.apply(session, content, revision, Action.withdraw, user)
    return ContentView(content, revision, user, True, [])


async def takedown(session: AsyncSession, admin: User, content_id: str, reason: str) -> Content:
    require_role(admin, Role.admin)
    reason = _clean_text(reason, "reason", 500, required=True)
    content = await session.get(Content, content_id)
    if content is None:
        raise NotFound("no such content", code="content.not_found")
    revision = await working_revision(session, content)
    await review.apply(session, content, revision, Action.takedown, admin, comment=reason)
    return content


async def pin(session: AsyncSession, content_id: str, until: datetime | None) -> Content:
    """Pin published content at the top of ``latest`` until ``until`` (None unpins)."""
    content = await session.get(Content, content_id)
    if content is None:
        raise NotFound("no such content", code="content.not_found")
    if until is not None:
        until = as_utc(until, "until", code="pin.invalid_until")
        if until <= utcnow():
            raise Invalid("until must be in the future", field="until", code="pin.invalid_until")
        if not is_public(content):
            raise Conflict("only published content can be pinned", code="workflow.invalid_state")
    content.pinned_until = until
    content.updated_at = utcnow()
    session.add(content)
    await session.flush()
    effects.sync_feeds(session, content.id)
    return content
