"""Uploads straight to object storage, and the media items they become."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status

from api import presenters, problems
from api.deps import CurrentUser, OptionalUser, ServicesDep, SessionDep
from api.schemas import CompleteIn, CompleteOut, MediaOut, UploadIn, UploadOut
from content import media

router = APIRouter(tags=["uploads"])


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadOut,
    responses=problems.responses(
        401,
        403,
        413,
        422,
        503,
        codes=[
            "auth.missing_role",
            "upload.too_large",
            "upload.quota_exceeded",
            "upload.method_unavailable",
            "invalid",
            "unavailable",
        ],
    ),
)
async def start_upload(
    body: UploadIn, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> UploadOut:
    plan = await media.start_upload(
        session,
        services.storage,
        services.settings,
        user,
        filename=body.filename,
        content_type=body.content_type,
        size=body.size,
        method=body.method,
    )
    return presenters.upload_out(plan)


@router.post(
    "/uploads/{upload_id}/complete",
    response_model=CompleteOut,
    responses=problems.responses(
        401,
        404,
        409,
        413,
        422,
        503,
        codes=[
            "upload.not_found",
            "upload.closed",
            "upload.busy",
            "upload.incomplete",
            "upload.parts_missing",
            "upload.size_mismatch",
            "upload.type_mismatch",
            "invalid",
            "unavailable",
        ],
    ),
)
async def complete_upload(
    upload_id: str,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    # Optional, but not nullable: a generated client then sends no body when given none
    # (openapi-python-client JSON-encodes its "unset" marker for a nullable body).
    body: Annotated[CompleteIn, Body(default_factory=CompleteIn)],
) -> CompleteOut:
    parts = [(p.part_number, p.etag) for p in body.parts] if body.parts else None
    item = await media.complete_upload(
        session, services.storage, services.settings, user, upload_id, parts
    )
    return presenters.complete_out(item)


@router.get(
    "/media/{media_id}",
    response_model=MediaOut,
    responses=problems.responses(401, 404, 422, codes=["media.not_found"]),
)
async def get_media(
    media_id: str, user: OptionalUser, session: SessionDep, services: ServicesDep
) -> MediaOut:
    view = await media.media_for(session, user, media_id)
    return await presenters.media_out(session, services, view)
