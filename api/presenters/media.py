"""Upload plans and media items as the contract shows them."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from content import media
from content.models import Media, MediaStatus, UploadMethod
from infra.services import Services


def upload_out(plan: media.UploadPlan) -> schemas.UploadOut:
    up = plan.upload
    return schemas.UploadOut(
        upload_id=up.id,
        method=up.method,
        url=plan.url,
        parts=[schemas.PartUrl(part_number=n, url=u) for n, u in plan.parts]
        if plan.parts
        else None,
        part_size=up.part_size,
        expires_at=up.expires_at,
        headers={"Content-Type": up.content_type} if up.method == UploadMethod.PUT else {},
        fields=plan.form.fields if plan.form else None,
        file_field=plan.form.file_field if plan.form else None,
    )


def complete_out(item: Media) -> schemas.CompleteOut:
    return schemas.CompleteOut(media_id=item.id, status=item.status)


async def media_out(
    session: AsyncSession, services: Services, view: media.MediaView
) -> schemas.MediaOut:
    item = view.media
    found = await media.links(
        session, services.storage, services.settings, [item.id], public=not view.private
    )
    link = found.get(item.id)
    return schemas.MediaOut(
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
        renditions=[schemas.Rendition(**r) for r in link.renditions] if link else [],
        captions=[schemas.Caption(**c) for c in link.captions] if link else [],
    )
