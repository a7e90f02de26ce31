"""Console pages: 内容 — operators find any content by title or id, read it with its history
and reports, take it down, pin it at the top of the feed and unpin it, through the same content/
services as /api/v1/admin/contents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from api.console import names, pages
from api.console.auth import Operator
from api.deps import Cursor, ServicesDep, SessionDep
from api.presenters.contents import bodies_html
from api.presenters.feed import links
from content import items, kit, media, review, search
from content.errors import Invalid
from content.feeds import is_pinned
from content.models import ContentStatus, Revision, RevisionState, Stage

router = APIRouter()

STATUS_NAMES = names.CONTENT_STATUSES
TYPE_NAMES = names.TYPES
STAGE_NAMES = names.STAGES
ACTION_NAMES = names.ACTIONS
# A revision in review is named by its stage; otherwise by its state.
REVISION_STATE_NAMES: dict[str, str] = {
    RevisionState.draft: "草稿",
    Stage.machine: "机器初筛中",
    Stage.political: "政治审核中",
    Stage.science: "科学审核中",
    RevisionState.changes_requested: "待修改",
    RevisionState.rejected: "未通过",
    RevisionState.published: "已发布",
    RevisionState.superseded: "已被新版本取代",
    RevisionState.withdrawn: "已撤回",
}
TOPIC_NAMES = dict(kit.TOPICS)
LABELS: dict[str, Any] = {
    "status_names": STATUS_NAMES,
    "type_names": TYPE_NAMES,
    "stage_names": STAGE_NAMES,
    "action_names": ACTION_NAMES,
    "revision_state_names": REVISION_STATE_NAMES,
    "topic_names": TOPIC_NAMES,
    "reason_names": names.REPORT_REASONS,
}
PAGE_SIZE = 30
PIN_DEFAULT_HOURS = 24


def chosen_status(value: str) -> ContentStatus | None:
    """The list's status filter: empty for all; a status operators may list, else Invalid."""
    if not value:
        return None
    try:
        return ContentStatus(value)
    except ValueError:
        raise Invalid(f"unknown status: {value}", field="status") from None


@router.get("/contents")
async def contents_index(
    request: Request,
    user: Operator,
    session: SessionDep,
    q: Annotated[str, Query(max_length=search.MAX_QUERY_CHARS)] = "",
    status: Annotated[str, Query(max_length=32)] = "",
    cursor: Cursor = None,
) -> Response:
    wanted = chosen_status(status)
    found, next_cursor = await items.find(
        session, user, q=q, status=wanted, cursor=cursor, limit=PAGE_SIZE
    )
    return pages.render(
        request,
        "contents_index.html",
        q=q.strip(),
        status=wanted.value if wanted else "",
        statuses=items.OPERATOR_STATUSES,
        rows=found,
        by_id=bool(q) and items.looks_like_id(q),
        next_cursor=next_cursor,
        pinned=lambda c: is_pinned(c.pinned_until),
        **LABELS,
    )


def rendition_720(found: media.MediaLinks | None) -> dict[str, Any] | None:
    """The rendition a reviewer or operator plays: 720p (its short side), else the nearest."""
    if found is None or not found.renditions:
        return None

    def side(r: dict[str, Any]) -> int:
        return min(r.get("width") or 0, r.get("height") or 0)

    return min(found.renditions, key=lambda r: abs(side(r) - 720))


@router.get("/contents/{content_id}")
async def content_detail(
    request: Request, content_id: str, user: Operator, session: SessionDep, services: ServicesDep
) -> Response:
    seen = await items.inspect(session, user, content_id)
    shown: Revision | None = seen.shown
    video: dict[str, Any] | None = None
    cover: str | None = None
    duration: float | None = None
    body: str | None = None
    if shown is not None and (shown.media_id or shown.cover_media_id):
        found = await links(session, services, [shown], False)
        played = found.get(shown.media_id or "")
        video = rendition_720(played)
        duration = played.duration_s if played else None
        pictured = found.get(shown.cover_media_id or "") or played
        cover = pictured.cover_url if pictured else None
    if shown is not None and shown.body:
        body = (await bodies_html(session, services, [shown], public=False))[shown.id]
    now = datetime.now(pages.CHINA)
    return pages.render(
        request,
        "contents_detail.html",
        seen=seen,
        content=seen.content,
        shown=shown,
        title=(shown.title if shown else "") or "（无标题）",
        # A revision's state says where its review is; once the content ended, it says nothing.
        latest_state=(
            review.revision_state(seen.latest).value
            if seen.latest and seen.content.status not in review.ENDED
            else None
        ),
        body=body,
        video=video,
        cover=cover,
        duration=duration,
        pinned=is_pinned(seen.content.pinned_until),
        pin_min=now.strftime("%Y-%m-%dT%H:%M"),
        pin_default=(now + timedelta(hours=PIN_DEFAULT_HOURS)).strftime("%Y-%m-%dT%H:%M"),
        **LABELS,
    )


def _back(content_id: str, text: str) -> Response:
    return pages.redirect(f"/console/contents/{content_id}", text)


@router.post("/contents/{content_id}/takedown")
async def takedown(
    content_id: str,
    user: Operator,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    await items.takedown(session, user, content_id, reason)
    return _back(content_id, "已下架：公开信息流和详情页已不再显示这条内容")


def china_time(value: str) -> datetime:
    """A ``datetime-local`` field's value read as China's time (a time with its own offset is
    kept as it is); whether it lies in the future is the pin service's rule."""
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        example = "until: a date and time such as 2026-12-08T18:00"
        raise Invalid(example, field="until", code="pin.invalid_until") from None
    return at.replace(tzinfo=pages.CHINA) if at.tzinfo is None else at


@router.post("/contents/{content_id}/pin")
async def pin(
    content_id: str,
    user: Operator,
    session: SessionDep,
    until: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    content = await items.pin(session, content_id, china_time(until))
    return _back(content_id, f"已置顶到 {pages.local_time(content.pinned_until)}（北京时间）")


@router.post("/contents/{content_id}/unpin")
async def unpin(content_id: str, user: Operator, session: SessionDep) -> Response:
    await items.pin(session, content_id, None)
    return _back(content_id, "已取消置顶")
