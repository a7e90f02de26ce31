"""Comments on contents: reading (shared pages, cached like feed pages, plus what a signed-in
reader adds), posting (screened in the request), deleting, liking, the owner's switch and the
operators' queue of held comments (docs/comments.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel

from api import presenters, problems
from api.deps import (
    OPTIONAL_BEARER,
    CurrentUser,
    Cursor,
    Limit,
    ServicesDep,
    SessionDep,
    bearer_user_id,
    session_scope,
)
from api.etags import etag_of, json_response, respond
from api.feedcache import CachedComments, CommentPageKey, FeedRuntime
from api.routers.admin import Admin
from api.routers.interactions import FeedKeysDep, within_limits
from api.schemas import (
    AdminCommentOut,
    CommentDecisionIn,
    CommentIn,
    CommentLikeOut,
    CommentOut,
    CommentPageOut,
    CommentSettingsIn,
    CommentSettingsOut,
    Page,
)
from content import engagement
from content.accounts import get_active_user
from content.engagement import CommentOrder
from content.models import CommentStatus
from infra.services import Services

router = APIRouter(tags=["comments"])


async def _within_comment_limits(
    user: CurrentUser, services: ServicesDep, keys: FeedKeysDep
) -> None:
    """A burst a minute and a cap a day per user, on top of every write's limits."""
    settings = services.settings
    await engagement.check_comment_rate(
        services.redis, keys, user.id, settings.comments_per_minute, settings.comments_per_day
    )


async def _cached(
    request: Request,
    key: CommentPageKey,
    build: Callable[[Services], Awaitable[BaseModel]],
) -> tuple[CachedComments, str | None]:
    """The shared page for ``key`` from this process's cache (built once on a miss), and the
    signed-in reader's id, if any."""
    services: Services = request.app.state.services
    runtime: FeedRuntime = request.app.state.feeds
    user_id = bearer_user_id(request.headers.get("authorization"), services.settings)

    async def built() -> tuple[CachedComments, float]:
        model = await build(services)
        body = model.model_dump_json().encode()
        return CachedComments(body, etag_of(body), model), services.settings.feed_cache_ttl_s

    page = runtime.comments.get(key) or await runtime.comments.get_or_build(key, built)
    return page, user_id


_READ = problems.responses(401, 404, 422, codes=["content.not_found", "invalid"])


@router.get(
    "/contents/{content_id}/comments",
    response_model=CommentPageOut,
    responses=_READ,
    openapi_extra={"security": OPTIONAL_BEARER},
)
async def list_comments(
    request: Request,
    content_id: str,
    order: CommentOrder = CommentOrder.newest,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Response:
    """Top-level comments with their first replies, newest first or most liked first."""

    async def build(services: Services) -> BaseModel:
        async with session_scope(request, services) as session:
            found = await engagement.comment_page(session, content_id, order, cursor, limit)
            return await presenters.comment_page(session, services, found)

    key = CommentPageKey(content_id, None, order, cursor, limit)
    page, user_id = await _cached(request, key, build)
    if user_id is None:
        return respond(request, page.body, page.etag, private=False)
    shared = page.model
    assert isinstance(shared, CommentPageOut)
    services: Services = request.app.state.services
    async with session_scope(request, services) as session:
        user = await get_active_user(session, user_id)
        ids = presenters.page_ids(shared.items)
        mine = await engagement.my_comment_marks(session, user, content_id, ids)
        items = await presenters.personal(
            session, services, shared.items, mine, None, cursor is None
        )
    return json_response(request, shared.model_copy(update={"items": items}), private=True)


@router.get(
    "/contents/{content_id}/comments/{comment_id}/replies",
    response_model=Page[CommentOut],
    responses=problems.responses(
        401, 404, 422, codes=["content.not_found", "comment.not_found", "invalid"]
    ),
    openapi_extra={"security": OPTIONAL_BEARER},
)
async def list_replies(
    request: Request, content_id: str, comment_id: str, cursor: Cursor = None, limit: Limit = 20
) -> Response:
    """A thread's replies, oldest first, after the reply whose id is ``cursor``."""

    async def build(services: Services) -> BaseModel:
        async with session_scope(request, services) as session:
            rows, next_cursor = await engagement.comment_replies(
                session, content_id, comment_id, cursor, limit
            )
            items = await presenters.comment_list(session, services, rows)
            return Page[CommentOut](items=items, next_cursor=next_cursor)

    key = CommentPageKey(content_id, comment_id, CommentOrder.newest, cursor, limit)
    page, user_id = await _cached(request, key, build)
    if user_id is None:
        return respond(request, page.body, page.etag, private=False)
    shared = page.model
    assert isinstance(shared, Page)
    services: Services = request.app.state.services
    async with session_scope(request, services) as session:
        user = await get_active_user(session, user_id)
        ids = [c.id for c in shared.items]
        mine = await engagement.my_comment_marks(session, user, content_id, ids)
        items = await presenters.personal(
            session, services, shared.items, mine, comment_id, cursor is None
        )
    return json_response(request, shared.model_copy(update={"items": items}), private=True)


@router.post(
    "/contents/{content_id}/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentOut,
    responses=problems.responses(
        401,
        404,
        409,
        413,
        422,
        429,
        codes=[
            "content.not_found",
            "comment.not_found",
            "comment.closed",
            "comment.blocked",
            "comment.rate_limited",
            "interaction.rate_limited",
            "invalid",
        ],
    ),
    dependencies=[Depends(within_limits), Depends(_within_comment_limits)],
)
async def post_comment(
    content_id: str, body: CommentIn, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> CommentOut:
    """A comment, or a reply (``reply_to``): screened now; a warned one is held for an operator
    and shown to its author alone (``status: held``)."""
    comment = await engagement.post_comment(session, user, content_id, body.body, body.reply_to)
    return (await presenters.comment_list(session, services, [(comment, user)]))[0]


@router.delete(
    "/contents/{content_id}/comments/{comment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems.responses(
        401, 403, 404, 422, codes=["content.not_found", "comment.not_found", "comment.forbidden"]
    ),
)
async def delete_comment(
    content_id: str, comment_id: str, user: CurrentUser, session: SessionDep
) -> Response:
    await engagement.delete_comment(session, user, content_id, comment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/contents/{content_id}/comments/settings",
    response_model=CommentSettingsOut,
    responses=problems.responses(401, 404, 413, 422, codes=["content.not_found", "invalid"]),
)
async def set_comment_settings(
    content_id: str, body: CommentSettingsIn, user: CurrentUser, session: SessionDep
) -> CommentSettingsOut:
    """The owner turns new comments off or on; comments already there stay readable."""
    await engagement.set_comments_enabled(session, user, content_id, body.enabled)
    return CommentSettingsOut(content_id=content_id, enabled=body.enabled)


_LIKE = problems.responses(
    401, 404, 422, 429, codes=["comment.not_found", "interaction.rate_limited"]
)


@router.post(
    "/comments/{comment_id}/like",
    response_model=CommentLikeOut,
    responses=_LIKE,
    dependencies=[Depends(within_limits)],
)
async def like_comment(comment_id: str, user: CurrentUser, session: SessionDep) -> CommentLikeOut:
    likes, liked = await engagement.like_comment(session, user, comment_id, True)
    return presenters.comment_like_out(comment_id, likes, liked)


@router.delete(
    "/comments/{comment_id}/like",
    response_model=CommentLikeOut,
    responses=_LIKE,
    dependencies=[Depends(within_limits)],
)
async def unlike_comment(comment_id: str, user: CurrentUser, session: SessionDep) -> CommentLikeOut:
    likes, liked = await engagement.like_comment(session, user, comment_id, False)
    return presenters.comment_like_out(comment_id, likes, liked)


@router.get(
    "/admin/comments",
    response_model=Page[AdminCommentOut],
    responses=problems.responses(401, 403, 422, codes=["auth.missing_role", "invalid"]),
)
async def list_admin_comments(
    _admin: Admin,
    session: SessionDep,
    services: ServicesDep,
    status: CommentStatus = CommentStatus.held,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[AdminCommentOut]:
    """Comments in one status, oldest first: ``held`` is the operators' queue."""
    rows, next_cursor = await engagement.comments_in_status(session, status, cursor, limit)
    return await presenters.admin_comments(session, services, rows, next_cursor)


_DECIDE = problems.responses(
    401,
    403,
    404,
    409,
    413,
    422,
    codes=["auth.missing_role", "comment.not_found", "comment.not_held", "invalid"],
)


@router.post(
    "/admin/comments/{comment_id}/approve", response_model=AdminCommentOut, responses=_DECIDE
)
async def approve_comment(
    comment_id: str, admin: Admin, session: SessionDep, body: CommentDecisionIn | None = None
) -> AdminCommentOut:
    """A held comment shows (and counts) from now."""
    reason = body.reason if body else None
    comment, author = await engagement.decide_comment(session, admin, comment_id, True, reason)
    return presenters.admin_comment(comment, author)


@router.post(
    "/admin/comments/{comment_id}/remove", response_model=AdminCommentOut, responses=_DECIDE
)
async def remove_comment(
    comment_id: str, body: CommentDecisionIn, admin: Admin, session: SessionDep
) -> AdminCommentOut:
    """A held comment is removed for good, with the reason."""
    comment, author = await engagement.decide_comment(
        session, admin, comment_id, False, body.reason
    )
    return presenters.admin_comment(comment, author)
