"""The local-disk backend's signed upload (a PUT, or a form POST) and download URLs (embedded
default only: with S3 the bytes never pass here), streamed in blocks so memory does not grow
with the file."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse

from api.deps import ServicesDep
from content import media
from infra.storage import base
from infra.storage.local import LocalStorage
from infra.storage.ranges import check_range

ROUTE = "/storage"
router = APIRouter(tags=["storage"], include_in_schema=False)


def _local(services: ServicesDep) -> LocalStorage:
    if not isinstance(services.storage, LocalStorage):
        raise HTTPException(404, "no such route")
    return services.storage


@router.put(ROUTE + "/{key:path}", response_model=None)
async def put_object(key: str, request: Request, services: ServicesDep) -> Response:
    etag = await media.receive_upload(
        services.read_sessions,
        _local(services),
        services.settings,
        key,
        request.query_params,
        request.headers.get("content-type"),
        request.stream(),
    )
    return Response(status_code=200, headers={"ETag": f'"{etag}"'})


@router.post(ROUTE + "/{key:path}", response_model=None)
async def post_form(key: str, request: Request, services: ServicesDep) -> Response:
    # wx.uploadFile's multipart/form-data POST; 204 with the ETag, as S3 answers a form POST.
    etag = await media.receive_form_upload(
        services.read_sessions,
        _local(services),
        services.settings,
        key,
        request.query_params,
        request.headers.get("content-type"),
        request.stream(),
    )
    return Response(status_code=204, headers={"ETag": f'"{etag}"'})


@router.api_route(ROUTE + "/{key:path}", methods=["GET", "HEAD"], response_model=None)
async def get_object(key: str, request: Request, services: ServicesDep) -> Response:
    storage = _local(services)
    storage.verify(request.method, key, request.query_params)
    info = await storage.stat(key)
    if info is None:
        raise base.ObjectNotFound(f"no object {key!r}")
    check_range(request.headers.get("range"), info.size)
    # FileResponse streams from disk in chunks and answers Range requests (video seeking).
    return FileResponse(
        storage.path_of(key),
        media_type=info.content_type or "application/octet-stream",
        headers={"ETag": f'"{info.etag}"'},
    )
