"""Creating, editing, submitting and reading contents (articles and videos) and their revisions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import feeds, jobs, workflow
from content.accounts import require_role
from content.dates import as_utc
from content.errors import Conflict, Invalid, NotFound
from content.models import (
    Action,
    Content,
    ContentType,
    Media,
    MediaKind,
    ReviewEvent,
    ReviewTask,
    Revision,
    RevisionState,
    Role,
    Stage,
    TaskStatus,
    User,
)
from content.taxonomy import check_slugs
from content.visibility import can_see_unpublished, is_owner, is_public
from infra.clock import utcnow
from infra.settings import Settings

_DISCIPLINE = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
MAX_REFERENCES = 50
EDITABLE_FIELDS = (
    "title", "summary", "body", "media_id", "cover_media_id", "topics", "audiences",
    "discipline", "references",
)  # fmt: skip


@dataclass
class Draft:
    """The fields a creator writes; None on an update means "leave as it is"."""

    title: str | None = None
    summary: str | None = None
    body: str | None = None
    media_id: str | None = None
    cover_media_id: str | None = None
    topics: list[str] | None = None
    audiences: list[str] | None = None
    discipline: str | None = None
    references: list[dict[str, Any]] | None = None
    given: set[str] = field(default_factory=set)  # fields present in the request, even as null


@dataclass
class ContentView:
    content: Content
    revision: Revision
    author: User
    findings_visible: bool
    reviewed_by: list[tuple[Stage, str]]


def _clean_text(value: str | None, name: str, limit: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"{name} must not be empty", field=name)
    if "\x00" in text:  # PostgreSQL cannot store it, and no writer means it
        raise Invalid(f"{name} contains a NUL character; remove it", field=name)
    if len(text) > limit:
        raise Invalid(f"{name} is {len(text)} characters; at most {limit}", field=name)
    return text


def _clean_references(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(refs) > MAX_REFERENCES:
        raise Invalid(f"at most {MAX_REFERENCES} references", field="references")
    out = []
    for i, ref in enumerate(refs):
        title = _clean_text(ref.get("title"), f"references[{i}].title", 500, required=True)
        url = (ref.get("url") or "").strip() or None
        if url is not None:
            parts = urlsplit(url)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or len(url) > 2000
                or any(ord(c) < 32 or ord(c) == 127 for c in url)  # control characters
            ):
                raise Invalid(
                    "a reference url must be an http(s) address", field=f"references[{i}].url"
                )
        out.append({"title": title, "url": url})
    return out


async def _check_media(
    session: AsyncSession, owner: User, media_id: str, kind: MediaKind, name: str
) -> None:
    media = await session.get(Media, media_id)
    if media is None or media.owner_id != owner.id:
        raise Invalid(f"{name}: no such media of yours; upload it first", field=name)
    if media.kind != kind:
        raise Invalid(f"{name} must be {kind.value} media", field=name)


async def _validated(
    session: AsyncSession,
    settings: Settings,
    owner: User,
    ctype: ContentType,
    base: Revision | None,
    draft: Draft,
) -> dict[str, Any]:
    """The revision columns for ``draft`` laid over ``base``, checked as a whole."""

    def pick(name: str) -> Any:
        if name in draft.given or base is None:
            return getattr(draft, name)
        return getattr(base, name)

    values: dict[str, Any] = {
        "title": _clean_text(pick("title"), "title", settings.max_title_chars, required=True),
        "summary": _clean_text(
            pick("summary"), "summary", settings.max_summary_chars, required=False
        ),
    }
    body = pick("body")
    if ctype == ContentType.article:
        values["body"] = _clean_text(body, "body", settings.max_body_chars, required=True)
    elif body is not None:
        values["body"] = _clean_text(body, "body", settings.max_body_chars, required=False)
    else:
        values["body"] = None
    media_id = pick("media_id")
    if ctype == ContentType.video:
        if not media_id:
            raise Invalid("a video needs media_id (upload the video first)", field="media_id")
        await _check_media(session, owner, media_id, MediaKind.video, "media_id")
    elif media_id:
        raise Invalid(
            "an article has no media_id; use cover_media_id for its image", field="media_id"
        )
    values["media_id"] = media_id or None
    cover = pick("cover_media_id")
    if cover:
        await _check_media(session, owner, cover, MediaKind.image, "cover_media_id")
    values["cover_media_id"] = cover or None
    topics, audiences = await check_slugs(session, pick("topics") or [], pick("audiences") or [])
    if not topics:
        raise Invalid("choose at least one topic", field="topics")
    values["topics"], values["audiences"] = topics, audiences
    discipline = (pick("discipline") or "").strip().lower()
    if not _DISCIPLINE.match(discipline):
        raise Invalid(
            "discipline is a lowercase slug such as medicine, physics or ecology",
            field="discipline",
        )
    values["discipline"] = discipline
    values["references"] = _clean_references(pick("references") or [])
    return values


async def create(
    session: AsyncSession, settings: Settings, owner: User, ctype: ContentType, draft: Draft
) -> ContentView:
    require_role(owner, Role.creator.value)
    draft.given |= set(EDITABLE_FIELDS)
    values = await _validated(session, settings, owner, ctype, None, draft)
    content = Content(type=ctype, owner_id=owner.id)
    revision = Revision(content_id=content.id, number=1, author_id=owner.id, **values)
    content.working_revision_id = revision.id
    session.add(content)
    await session.flush()
    session.add(revision)
    await session.flush()
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
    in_place = revision.state == RevisionState.draft and content.status not in workflow.ENDED
    if not in_place and workflow.find(content, revision, Action.edit) is None:
        raise Conflict(
            f"content that is {content.status}"
            + (" (a revision is in review)" if revision.state == RevisionState.in_review else "")
            + " cannot be edited",
            code="content.not_editable",
        )
    values = await _validated(session, settings, user, content.type, revision, draft)
    if in_place:
        for key, value in values.items():
            setattr(revision, key, value)
        revision.updated_at = utcnow()
        session.add(revision)
        await session.flush()
        return ContentView(content, revision, user, True, [])
    new = await workflow.apply(session, content, revision, Action.edit, user, values=values)
    return ContentView(content, new, user, True, [])


async def submit(session: AsyncSession, user: User, content_id: str) -> ContentView:
    content, revision = await _owned(session, user, content_id)
    await workflow.apply(session, content, revision, Action.submit, user)
    jobs.after_commit(session, jobs.MACHINE_REVIEW, revision.id)
    return ContentView(content, revision, user, True, [])


async def withdraw(session: AsyncSession, user: User, content_id: str) -> ContentView:
    content, revision = await _owned(session, user, content_id)
    await workflow.apply(session, content, revision, Action.withdraw, user)
    return ContentView(content, revision, user, True, [])


async def takedown(session: AsyncSession, admin: User, content_id: str, reason: str) -> Content:
    require_role(admin, Role.admin.value)
    reason = _clean_text(reason, "reason", 500, required=True)
    content = await session.get(Content, content_id)
    if content is None:
        raise NotFound("no such content", code="content.not_found")
    revision = await working_revision(session, content)
    await workflow.apply(session, content, revision, Action.takedown, admin, comment=reason)
    return content


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
    require_role(user, Role.creator.value)
    query = (
        select(Content, Revision)
        .join(Revision, col(Revision.id) == col(Content.working_revision_id))
        .where(Content.owner_id == user.id)
        .order_by(col(Content.id).desc())
        .limit(limit + 1)
    )
    if cursor:
        query = query.where(col(Content.id) < cursor)
    rows = list((await session.exec(query)).all())
    page, more = rows[:limit], len(rows) > limit
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
    out = [(c, r, comments.get(c.id)) for c, r in page]
    return out, (page[-1][0].id if more and page else None)


async def pin(session: AsyncSession, content_id: str, until: datetime | None) -> Content:
    """Pin published content at the top of ``latest`` until ``until`` (None unpins)."""
    content = await session.get(Content, content_id)
    if content is None:
        raise NotFound("no such content", code="content.not_found")
    if until is not None:
        until = as_utc(until, "until", code="pin.invalid_until")
        if until <= utcnow():
            raise Invalid("until must be in the future", field="until")
        if not is_public(content):
            raise Conflict("only published content can be pinned", code="workflow.invalid_state")
    content.pinned_until = until
    content.updated_at = utcnow()
    session.add(content)
    await session.flush()
    feeds.after_commit_sync(session, content.id)
    return content
