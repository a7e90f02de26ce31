"""The local-disk backend's signed upload and download URLs (embedded default only).

With object storage configured this route does not exist: bytes go straight to S3/MinIO. Here
the API streams them to disk in blocks, so its memory does not grow with the file size.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from api.deps import ServicesDep
from api.problems import problem
from infra.storage import base
from infra.storage.local import LocalStorage

router = APIRouter(tags=["storage"], include_in_schema=False)


def _local(services: ServicesDep) -> LocalStorage | None:
    return services.storage if isinstance(services.storage, LocalStorage) else None


def _refused(exc: base.StorageError) -> Response:
    if isinstance(exc, base.SignatureExpired):
        return problem(403, "storage.url_expired", "this signed URL has expired; ask for a new one")
    if isinstance(exc, base.TooLarge):
        return problem(413, "storage.too_large", "more bytes than this upload declared")
    if isinstance(exc, base.UploadNotFound | base.ObjectNotFound):
        return problem(404, "storage.not_found", "no such upload or object")
    if isinstance(exc, base.InvalidKey | base.InvalidParts):
        return problem(400, "storage.bad_request", str(exc))
    return problem(403, "storage.signature_invalid", "this URL's signature does not match")


@router.put("/storage/{key:path}", response_model=None)
async def put_object(key: str, request: Request, services: ServicesDep) -> Response:
    storage = _local(services)
    if storage is None:
        return problem(404, "not_found", "no such route")
    try:
        signed = storage.verify("PUT", key, request.query_params)
        limit = (
            services.settings.multipart_part_size
            if signed.part_number is not None
            else max(services.settings.max_video_bytes, services.settings.max_image_bytes)
        )
        _, etag = await storage.write_stream(
            key,
            request.stream(),
            limit,
            upload_id=signed.upload_id,
            part_number=signed.part_number,
            content_type=signed.content_type,
        )
    except base.StorageError as exc:
        return _refused(exc)
    return Response(status_code=200, headers={"ETag": f'"{etag}"'})


@router.api_route("/storage/{key:path}", methods=["GET", "HEAD"], response_model=None)
async def get_object(key: str, request: Request, services: ServicesDep) -> Response:
    storage = _local(services)
    if storage is None:
        return problem(404, "not_found", "no such route")
    try:
        storage.verify(request.method, key, request.query_params)
        info = await storage.stat(key)
    except base.StorageError as exc:
        return _refused(exc)
    if info is None:
        return problem(404, "storage.not_found", "no such object")
    # FileResponse streams from disk in chunks and answers Range requests (video seeking).
    return FileResponse(
        storage.path_of(key),
        media_type=info.content_type or "application/octet-stream",
        headers={"ETag": f'"{info.etag}"'},
    )
