"""Upload plans and media items as the contract shows them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from content import media
from content.models import Media, MediaStatus, TextReading, UploadMethod
from infra.services import Services


class _ReadText(Protocol):
    """What holds the text read off a media item: its row, or its private links."""

    @property
    def text_status(self) -> TextReading | None: ...
    @property
    def text_error(self) -> str | None: ...
    @property
    def text_segments(self) -> Sequence[dict[str, Any]]: ...


def media_text(item: _ReadText | None) -> schemas.MediaText | None:
    """The text read off a media item, as its owner and reviewers get it."""
    if item is None:
        return None
    return schemas.MediaText(
        status=item.text_status,
        error=item.text_error,
        segments=[schemas.TextSegment(**s) for s in item.text_segments],
    )


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
        text=media_text(item) if view.private else None,
    )
