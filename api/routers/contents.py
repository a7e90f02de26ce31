"""Contents: create, edit, submit, withdraw, read, and the review history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from api import etags, presenters, problems
from api.deps import CurrentUser, OptionalUser, ServicesDep, SessionDep
from api.feedcache import CachedPage, FeedRuntime, lifetime
from api.schemas import (
    ContentCreate,
    ContentFields,
    ContentOut,
    ContentUpdate,
    ReviewEventOut,
)
from content import feeds, items, review
from content.items import Draft
from content.models import ContentType

router = APIRouter(tags=["contents"])


def _draft(body: ContentFields) -> Draft:
    given = set(body.model_fields_set) - {"type"}
    data = body.model_dump(include=given, exclude={"type"})
    return Draft(**data, given=given)


@router.post(
    "/contents",
    status_code=status.HTTP_201_CREATED,
    response_model=ContentOut,
    responses=problems.responses(
        401,
        403,
        413,
        422,
        codes=["auth.missing_role", "invalid", "discipline.unknown", "body.image_invalid"],
    ),
)
async def create_content(
    body: ContentCreate, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> ContentOut:
    view = await items.create(
        session, services.settings, user, ContentType(body.type), _draft(body)
    )
    return await presenters.content_detail(session, services, view)


_EDIT: dict[str, Any] = {
    "response_model": ContentOut,
    "responses": problems.responses(
        401,
        404,
        409,
        413,
        422,
        codes=[
            "content.not_found",
            "content.not_editable",
            "workflow.invalid_state",
            "workflow.stale",
            "invalid",
            "discipline.unknown",
            "body.image_invalid",
        ],
    ),
}


# PUT is the twin for WeChat's wx.request, which cannot send PATCH: the same partial update.
@router.put("/contents/{content_id}", **_EDIT)
@router.patch("/contents/{content_id}", **_EDIT)
async def edit_content(
    content_id: str,
    body: ContentUpdate,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> ContentOut:
    view = await items.edit(session, services.settings, user, content_id, _draft(body))
    return await presenters.content_detail(session, services, view)


@router.post(
    "/contents/{content_id}/submit",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ContentOut,
    responses=problems.responses(
        401,
        404,
        409,
        422,
        codes=[
            "content.not_found",
            "workflow.invalid_state",
            "workflow.stale",
            "body.image_invalid",
        ],
    ),
)
async def submit_content(
    content_id: str, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> ContentOut:
    view = await items.submit(session, user, content_id)
    return await presenters.content_detail(session, services, view)


@router.post(
    "/contents/{content_id}/withdraw",
    response_model=ContentOut,
    responses=problems.responses(
        401, 404, 409, 422, codes=["content.not_found", "workflow.invalid_state", "workflow.stale"]
    ),
)
async def withdraw_content(
    content_id: str, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> ContentOut:
    view = await items.withdraw(session, user, content_id)
    return await presenters.content_detail(session, services, view)


@router.get(
    "/contents/{content_id}",
    response_model=ContentOut,
    responses=problems.responses(401, 404, 422, codes=["content.not_found"]),
)
async def get_content(
    content_id: str,
    request: Request,
    user: OptionalUser,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    if user is not None:  # what a signed-in reader sees may be theirs alone: read fresh
        view = await items.detail(session, user, content_id)
        out = await presenters.content_detail(session, services, view)
        return etags.json_response(request, out, private=True)

    async def build() -> tuple[CachedPage, float]:
        view = await items.detail(session, None, content_id)
        out = await presenters.content_detail(session, services, view)
        body = out.model_dump_json().encode()
        until = view.content.pinned_until
        pins = [until] if until is not None and feeds.is_pinned(until) else []
        ttl = lifetime(services.settings.feed_cache_ttl_s, pins)
        return CachedPage(body, etags.etag_of(body)), ttl

    # Signed out, everyone reads the same bytes: kept like a feed page (a signed-out hit is
    # served by api/fastpath.py before routing), dropped everywhere when the content changes.
    runtime: FeedRuntime = request.app.state.feeds
    page = await runtime.details.get_or_build(content_id, build)
    return etags.respond(request, page.body, page.etag, private=False)


@router.get(
    "/contents/{content_id}/reviews",
    response_model=list[ReviewEventOut],
    responses=problems.responses(401, 404, 422, codes=["content.not_found"]),
)
async def review_history(
    content_id: str, user: CurrentUser, session: SessionDep
) -> list[ReviewEventOut]:
    return presenters.review_history(await review.history(session, user, content_id))
