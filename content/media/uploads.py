"""Direct uploads: the client sends bytes straight to object storage through signed URLs; we
verify what arrived and turn it into a media item. Who may see a media item is decided here too."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import jobs
from content.accounts import require_role
from content.errors import Conflict, Invalid, NotFound, QuotaExceeded, TooLarge, Unavailable
from content.media.keys import original_key, upload_key
from content.models import (
    Content,
    Media,
    MediaKind,
    MediaStatus,
    Revision,
    Role,
    Upload,
    UploadMethod,
    UploadStatus,
    User,
)
from content.review import is_public, may_see_media, uses_media
from infra.clock import utcnow
from infra.settings import Settings
from infra.storage import base as storage_base
from infra.storage.base import Storage

IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/webm"}


@dataclass
class UploadPlan:
    upload: Upload
    url: str | None
    parts: list[tuple[int, str]]
    form: storage_base.FormTarget | None = None


def _kind_of(content_type: str) -> MediaKind:
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype in IMAGE_TYPES:
        return MediaKind.image
    if ctype in VIDEO_TYPES:
        return MediaKind.video
    raise Invalid(
        "content_type must be one of " + ", ".join(sorted(IMAGE_TYPES | VIDEO_TYPES)),
        field="content_type",
    )


def _image_format(head: bytes) -> str | None:
    """The image format the bytes really are (the declared type is not trusted)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


async def start(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    user: User,
    *,
    filename: str,
    content_type: str,
    size: int,
    method: UploadMethod | None = None,
) -> UploadPlan:
    """Open an upload. ``method`` asks for a way to send the bytes; without it, the size
    decides (one PUT, or multipart above ``multipart_threshold``)."""
    require_role(user, Role.creator)
    kind = _kind_of(content_type)
    _check_size(settings, kind, size)
    chosen = _method_for(settings, size, method)
    await _check_quota(session, settings, user, size)
    upload = _new_upload(settings, user, kind, filename, content_type, size)
    upload.method = chosen
    try:
        plan = await _presign(storage, settings, upload)
    except storage_base.StorageUnavailable as exc:
        raise _unreachable() from exc
    session.add(upload)
    await session.flush()
    return plan


def _method_for(settings: Settings, size: int, requested: UploadMethod | None) -> UploadMethod:
    """A form POST or a single PUT up to ``multipart_threshold``; multipart above it, where a
    weak network must be able to re-send one part rather than the whole file."""
    by_size = UploadMethod.PUT if size <= settings.multipart_threshold else UploadMethod.multipart
    if requested is None or requested == by_size:
        return by_size
    if requested == UploadMethod.form and by_size == UploadMethod.PUT:
        return UploadMethod.form
    mib = settings.multipart_threshold / (1024 * 1024)
    raise Invalid(
        f"a {requested.value} upload is not offered for {size} bytes: files up to {mib:g} MiB "
        "go as one PUT or form POST, larger ones as multipart",
        field="method",
        code="upload.method_unavailable",
    )


def _check_size(settings: Settings, kind: MediaKind, size: int) -> None:
    if size <= 0:
        raise Invalid("size must be the file's size in bytes (more than 0)", field="size")
    cap = settings.max_image_bytes if kind == MediaKind.image else settings.max_video_bytes
    if size > cap:
        raise TooLarge(
            f"{kind.value} uploads are limited to {cap // (1024 * 1024)} MiB",
            code="upload.too_large",
        )


def _new_upload(
    settings: Settings, user: User, kind: MediaKind, filename: str, content_type: str, size: int
) -> Upload:
    name = PurePosixPath(filename.replace("\\", "/")).name.strip()[:255] or "upload"
    upload = Upload(
        owner_id=user.id,
        kind=kind,
        filename=name,
        content_type=content_type,
        size=size,
        object_key="",
        method=UploadMethod.PUT,
        expires_at=utcnow() + timedelta(seconds=settings.upload_url_ttl_seconds),
    )
    upload.object_key = upload_key(user.id, upload.id)
    return upload


async def _presign(storage: Storage, settings: Settings, upload: Upload) -> UploadPlan:
    """The signed URL of a single PUT, the form of a POST, or the URLs of each part of a
    multipart upload (which opens it in storage)."""
    ttl = settings.upload_url_ttl_seconds
    if upload.method == UploadMethod.form:
        form = await storage.presign_post(upload.object_key, upload.content_type, upload.size, ttl)
        return UploadPlan(upload, form.url, [], form)
    if upload.method == UploadMethod.PUT:
        url = await storage.presign_put(
            upload.object_key, upload.content_type, ttl, max_bytes=upload.size
        )
        return UploadPlan(upload, url, [])
    upload.part_size = settings.multipart_part_size
    upload.s3_upload_id = await storage.create_multipart(upload.object_key, upload.content_type)
    count = math.ceil(upload.size / settings.multipart_part_size)
    parts = [
        (n, await storage.presign_part(upload.object_key, upload.s3_upload_id, n, ttl))
        for n in range(1, count + 1)
    ]
    return UploadPlan(upload, None, parts)


async def used_today(session: AsyncSession, user: User) -> int:
    """Bytes a creator's uploads of the last day count against the quota: what was stored for
    completed ones (checked at complete), what may still arrive for open ones (their URLs take
    no more than declared), nothing for abandoned ones."""
    since = utcnow() - timedelta(days=1)
    counted = sa.case(
        (col(Upload.status) == UploadStatus.completed, col(Media.size)), else_=col(Upload.size)
    )
    used = (
        await session.exec(
            select(sa.func.coalesce(sa.func.sum(counted), 0))
            .select_from(Upload)
            .outerjoin(Media, col(Media.id) == col(Upload.media_id))
            .where(
                Upload.owner_id == user.id,
                col(Upload.created_at) > since,
                Upload.status != UploadStatus.aborted,
            )
        )
    ).one()
    return int(used)


async def _check_quota(session: AsyncSession, settings: Settings, user: User, size: int) -> None:
    if await used_today(session, user) + size > settings.upload_quota_bytes_per_day:
        mib = settings.upload_quota_bytes_per_day // (1024 * 1024)
        raise QuotaExceeded(
            f"this upload would pass your daily quota of {mib} MiB; try again tomorrow",
            code="upload.quota_exceeded",
        )


async def complete(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    user: User,
    upload_id: str,
    parts: list[tuple[int, str]] | None,
) -> Media:
    """Check the object really arrived with the declared size and make it a media item.
    Idempotent: completing a completed upload returns the same media, and completing again
    after a commit that failed finishes with the media id the first attempt had."""
    upload = await session.get(Upload, upload_id)
    if upload is None or upload.owner_id != user.id:
        raise NotFound("no such upload", code="upload.not_found")
    if upload.status == UploadStatus.completed and upload.media_id:
        media = await session.get(Media, upload.media_id)
        if media is not None:
            return media
    # Half the cleanup grace: a complete can never overlap the sweep that removes the upload.
    too_late = upload.expires_at + timedelta(seconds=settings.abandoned_upload_grace_seconds / 2)
    if upload.status != UploadStatus.pending or utcnow() > too_late:
        raise Conflict("this upload has expired; start a new one", code="upload.closed")
    source, info, head = await _received(storage, upload, parts)
    await _check_arrived(storage, upload, source, info)
    # Two racing completes: only one flips the upload; the loser is told to try again, and then
    # gets the winner's media. Flipped before the media row exists, as its id is the upload's.
    result = await session.exec(
        sa.update(Upload)
        .where(col(Upload.id) == upload.id, col(Upload.status) == UploadStatus.pending)
        .values(status=UploadStatus.completed)
    )
    if result.rowcount != 1:
        raise Conflict("this upload is being completed by another request", code="upload.busy")
    media = await _new_media(session, upload, info, head)
    await _move_out_of_reach(storage, source, media)
    if media.status == MediaStatus.pending:
        jobs.after_commit(session, jobs.PROCESS_MEDIA, media.id)
    return media


async def _received(
    storage: Storage, upload: Upload, parts: list[tuple[int, str]] | None
) -> tuple[str, storage_base.ObjectInfo, bytes]:
    """Where the upload's bytes are, what they are, and an image's first bytes."""
    try:
        source, info = await _arrived(storage, upload, parts)
        # Images are sniffed at once (a quick, clear refusal); videos are probed by the worker.
        sniff = upload.kind == MediaKind.image and info.size > 0
        head = await storage.read_range(source, 0, 32) if sniff else b""
    except storage_base.StorageUnavailable as exc:
        raise _unreachable() from exc
    return source, info, head


async def _new_media(
    session: AsyncSession, upload: Upload, info: storage_base.ObjectInfo, head: bytes
) -> Media:
    # The media's id is the upload's, so where its bytes go is known before they move: a retry
    # after a failed commit finds them there (see `_arrived`), and the sweep removes them if
    # the upload is never completed.
    media = Media(
        id=upload.id,
        owner_id=upload.owner_id,
        kind=upload.kind,
        object_key=original_key(upload.id),
        content_type=upload.content_type,
        size=info.size,
    )
    if upload.kind == MediaKind.image and _image_format(head) is None:
        # Refused at once; anything that looks like an image is probed by the worker.
        media.status, media.error = MediaStatus.failed, "not a JPEG, PNG, WebP or GIF image"
    session.add(media)
    await session.flush()
    await session.exec(
        sa.update(Upload).where(col(Upload.id) == upload.id).values(media_id=media.id)
    )
    return media


async def _move_out_of_reach(storage: Storage, source: str, media: Media) -> None:
    """Out of reach of the upload's URL, which S3 cannot revoke before it expires: a PUT after
    this lands beside it and can never change what is processed."""
    if source != media.object_key:
        try:
            await storage.move(source, media.object_key)
        except storage_base.StorageUnavailable as exc:
            raise _unreachable() from exc


async def _arrived(
    storage: Storage, upload: Upload, parts: list[tuple[int, str]] | None
) -> tuple[str, storage_base.ObjectInfo]:
    """Where the upload's bytes are, and what they are. At the upload key as a rule; at the
    media key when an earlier complete moved them there and its transaction then failed to
    commit (the upload still pending). Bytes PUT again since win: the upload is still open."""
    info = await storage.stat(upload.object_key)
    if info is None:
        moved = await storage.stat(original_key(upload.id))
        if moved is not None:
            return original_key(upload.id), moved
        if upload.method == UploadMethod.multipart:
            await _finish_multipart(storage, upload, parts)
            info = await storage.stat(upload.object_key)
    # (A multipart upload joined by an earlier call whose transaction did not commit is at the
    # upload key already: nothing left to join.)
    if info is None:
        raise Conflict(
            "nothing was uploaded yet: PUT the bytes to the signed URL first",
            code="upload.incomplete",
        )
    return upload.object_key, info


async def _check_arrived(
    storage: Storage, upload: Upload, key: str, info: storage_base.ObjectInfo
) -> None:
    """What arrived must be what was declared; anything else is deleted at once, so it neither
    lingers in storage nor counts as stored (an S3 URL cannot refuse it on the way in)."""
    problem: Conflict | None = None
    if info.size != upload.size:
        problem = Conflict(
            f"the stored file has {info.size} bytes but {upload.size} were declared; "
            "upload it again",
            code="upload.size_mismatch",
        )
    elif upload.method != UploadMethod.multipart and _media_type(info.content_type) != _media_type(
        upload.content_type
    ):
        problem = Conflict(
            f"the file was sent as {info.content_type or 'no type'!r} but declared as "
            f"{upload.content_type!r}; send it with the Content-Type header the upload gave",
            code="upload.type_mismatch",
        )
    if problem is None:
        return
    try:
        await storage.delete(key)
    except storage_base.StorageUnavailable as exc:
        raise _unreachable() from exc
    raise problem


def _unreachable() -> Unavailable:
    return Unavailable("object storage is unreachable; try again shortly")


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


async def _finish_multipart(
    storage: Storage, upload: Upload, parts: list[tuple[int, str]] | None
) -> None:
    if upload.s3_upload_id is None or upload.part_size is None:
        raise Conflict("this upload was not started as a multipart upload", code="upload.closed")
    expected = math.ceil(upload.size / upload.part_size)
    try:
        listed = await storage.list_parts(upload.object_key, upload.s3_upload_id)
    except storage_base.UploadNotFound as exc:
        raise Conflict("this upload has expired; start a new one", code="upload.closed") from exc
    have = {n: etag for n, etag, _ in listed}
    missing = [n for n in range(1, expected + 1) if n not in have]
    if missing:
        raise Conflict(
            f"parts {', '.join(map(str, missing[:20]))} were never uploaded; send them, "
            "then complete again",
            code="upload.parts_missing",
            missing_parts=missing,
        )
    chosen = parts or [(n, have[n]) for n in range(1, expected + 1)]
    for n, etag in chosen:
        if storage_base.normalise_etag(have.get(n, "")) != storage_base.normalise_etag(etag):
            raise Invalid(f"part {n}: etag does not match what was uploaded", field="parts")
    try:
        await storage.complete_multipart(upload.object_key, upload.s3_upload_id, chosen)
    except storage_base.InvalidParts as exc:
        raise Invalid(str(exc), field="parts") from exc
    except storage_base.UploadNotFound as exc:
        # A concurrent complete of the same upload finished it first: fine if the object is
        # there (the caller goes on to verify it), an expired upload otherwise.
        if await storage.stat(upload.object_key) is None:
            raise Conflict(
                "this upload has expired; start a new one", code="upload.closed"
            ) from exc


@dataclass(frozen=True)
class MediaView:
    media: Media
    private: bool  # seen as its owner or reviewers see it: unpublished, through signed links


async def sees_unpublished(session: AsyncSession, user: User | None, media: Media) -> bool:
    """Whether ``user`` sees ``media`` before it is published, as its owner and the staff it is
    handed to do, rather than only what the public sees once its content is live."""
    return user is not None and (
        media.owner_id == user.id or await may_see_media(session, user, media.id)
    )


async def media_for(session: AsyncSession, user: User | None, media_id: str) -> MediaView:
    """A media item, for its owner, reviewers and admins, or anyone once its content is live."""
    media = await session.get(Media, media_id)
    if media is None:
        raise NotFound("no such media", code="media.not_found")
    if await sees_unpublished(session, user, media):
        return MediaView(media, private=True)
    live = await session.exec(
        select(Content)
        .join(Revision, col(Revision.id) == col(Content.live_revision_id))
        .where(uses_media(media_id))
    )
    if any(is_public(c) for c in live.all()):
        return MediaView(media, private=False)
    raise NotFound("no such media", code="media.not_found")
