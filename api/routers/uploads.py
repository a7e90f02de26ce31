"""Uploads straight to object storage, and the media items they become."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Body, Request, status

from api import presenters, problems
from api.deps import CurrentUser, OptionalUser, ServicesDep, SessionDep
from api.schemas import CompleteIn, CompleteOut, MediaOut, UploadIn, UploadOut
from content import media
from infra.storage.base import FORM_FILE_FIELD
from infra.storage.local_form import boundary_of, file_of

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


# A form's boundaries, part headers and fields around the file (local_form bounds them).
_FORM_SLACK = 80 * 1024
_FILE = {"type": "string", "format": "binary"}
# Listed as the two kinds generated clients know; any raw type is taken (text/vtt,
# application/x-subrip, text/plain…): the content decides what the file is.
_SUBTITLE_BODY = {
    "requestBody": {
        "required": True,
        "description": "a WebVTT or SRT file: the raw body (text/vtt, application/x-subrip, "
        "text/plain or any type), or the field `file` of a form (wx.uploadFile)",
        "content": {
            "application/octet-stream": {"schema": _FILE},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {FORM_FILE_FIELD: _FILE},
                    "required": [FORM_FILE_FIELD],
                }
            },
        },
    }
}
_SUBTITLE_CHECKS = ["media.not_found", "subtitles.not_video", "subtitles.not_ready"]


@router.put(
    "/media/{media_id}/subtitles",
    response_model=MediaOut,
    openapi_extra=_SUBTITLE_BODY,
    responses=problems.responses(
        401,
        422,
        codes=[
            *_SUBTITLE_CHECKS,
            "subtitles.locked",
            "subtitles.too_large",
            "request.too_large",
            "subtitles.encoding",
            "subtitles.format",
            "subtitles.empty",
            "subtitles.timing",
            "subtitles.too_many_cues",
            "subtitles.cue_too_long",
            "storage.form_invalid",
            "storage.form_file_missing",
            "storage.form_extra_file",
            "storage.unavailable",
        ],
    ),
)
async def put_subtitles(
    media_id: str, request: Request, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> MediaOut:
    data = await _subtitle_file(request, services.settings.max_subtitle_bytes)
    view = await media.attach_subtitles(
        session, services.storage, services.settings, user, media_id, data
    )
    return await presenters.media_out(session, services, view)


@router.delete(
    "/media/{media_id}/subtitles",
    response_model=MediaOut,
    responses=problems.responses(
        401, 422, codes=[*_SUBTITLE_CHECKS, "subtitles.locked", "storage.unavailable"]
    ),
)
async def delete_subtitles(
    media_id: str, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> MediaOut:
    view = await media.remove_subtitles(session, services.storage, user, media_id)
    return await presenters.media_out(session, services, view)


async def _subtitle_file(request: Request, limit: int) -> bytes:
    """The file sent, read as it arrives and refused once it is over ``limit`` bytes: a raw
    body (any type: the content decides) or the file of a multipart form."""
    content_type = request.headers.get("content-type", "")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + _FORM_SLACK:
        raise media.subtitles_too_large(limit)
    chunks: AsyncIterator[bytes] = request.stream()
    if content_type.lower().startswith("multipart/"):
        chunks = file_of(chunks, boundary_of(content_type), FORM_FILE_FIELD, None)
    data = bytearray()
    async for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise media.subtitles_too_large(limit)
    return bytes(data)
