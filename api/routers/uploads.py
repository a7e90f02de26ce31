"""Uploads straight to object storage, and the media items they become."""

from __future__ import annotations

from fastapi import APIRouter, status

from api import problems
from api.deps import CurrentUser, OptionalUser, ServicesDep, SessionDep
from api.schemas import (
    CompleteIn,
    CompleteOut,
    MediaOut,
    PartUrl,
    Rendition,
    UploadIn,
    UploadOut,
)
from content import media
from content.models import MediaStatus, UploadMethod

router = APIRouter(tags=["uploads"])


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadOut,
    responses=problems.responses(401, 403, 413, 422, 503),
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
    )
    up = plan.upload
    return UploadOut(
        upload_id=up.id,
        method=up.method,
        url=plan.url,
        parts=[PartUrl(part_number=n, url=u) for n, u in plan.parts] if plan.parts else None,
        part_size=up.part_size,
        expires_at=up.expires_at,
        headers={"Content-Type": up.content_type} if up.method == UploadMethod.PUT else {},
    )


@router.post(
    "/uploads/{upload_id}/complete",
    response_model=CompleteOut,
    responses=problems.responses(401, 404, 409, 413, 422, 503),
)
async def complete_upload(
    upload_id: str,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    body: CompleteIn | None = None,
) -> CompleteOut:
    parts = [(p.part_number, p.etag) for p in body.parts] if body and body.parts else None
    item = await media.complete_upload(
        session, services.storage, services.settings, user, upload_id, parts
    )
    return CompleteOut(media_id=item.id, status=item.status)


@router.get(
    "/media/{media_id}", response_model=MediaOut, responses=problems.responses(401, 404, 422)
)
async def get_media(
    media_id: str, user: OptionalUser, session: SessionDep, services: ServicesDep
) -> MediaOut:
    view = await media.media_for(session, user, media_id)
    item = view.media
    links = await media.links(
        session, services.storage, services.settings, [item.id], public=not view.private
    )
    link = links.get(item.id)
    return MediaOut(
        id=item.id,
        kind=item.kind,
        status=item.status,
        error=item.error if item.status == MediaStatus.failed else None,
        duration_s=item.duration_s,
        width=item.width,
        height=item.height,
        size=item.size,
        progress=item.progress if item.status == MediaStatus.processing else None,
        attempts=item.attempts,
        cover_url=link.cover_url if link else None,
        preview_url=link.preview_url if link else None,
        renditions=[Rendition(**r) for r in link.renditions] if link else [],
    )
