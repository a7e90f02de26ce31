"""`Storage` on an S3 server (MinIO in production, SeaweedFS in tests) through the minio SDK,
which is synchronous: calls that touch the network run in a worker thread."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

import anyio.to_thread
import certifi
import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.datatypes import Part, PostPolicy
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.helpers import DictType

from infra.storage import windows
from infra.storage.base import (
    FormTarget,
    InvalidParts,
    ObjectInfo,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    UploadNotFound,
    check_expiry,
    check_key,
    check_part_number,
    normalise_etag,
)

P = ParamSpec("P")
T = TypeVar("T")

_MISSING_OBJECT = {"NoSuchKey", "NoSuchObject", "NotFound"}
_MISSING_UPLOAD = {"NoSuchUpload"}
_BAD_PARTS = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall"}
_BUCKET_EXISTS = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}


class S3Storage:
    """Objects in one private bucket. ``endpoint`` is ``host:port`` as clients see it.

    Presigned URLs carry ``endpoint`` as their host and the signature covers it, so it must be
    the address browsers and the mini-program reach — not an internal service name.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        region: str = "us-east-1",
        secure: bool = False,
        public_base_url: str | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
    ) -> None:
        self.bucket = bucket
        self._endpoint, self._scheme = endpoint, "https" if secure else "http"
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None
        # Our own pool instead of the SDK's default: that one retries a refused connection five
        # times with back-off, so a readiness probe against a dead server would hang for seconds
        # instead of answering 503 at once.
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
            # Room for every worker thread anyio may run at once (its default limit is 40).
            maxsize=40,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(
                total=2, connect=1, backoff_factor=0.1, status_forcelist=[502, 503, 504]
            ),
        )
        # Given its region, the client never asks the server for it: signing stays local.
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._http,
        )
        self._region = region

    # -- signing: local computation, no I/O ------------------------------------------------

    async def presign_put(
        self, key: str, content_type: str, expires_s: int, *, max_bytes: int | None = None
    ) -> str:
        # A query-string signature covers only the host header, so neither the content type nor
        # the size can be pinned here: completing the upload checks what arrived instead.
        return self._presign("PUT", key, expires_s)

    async def presign_post(
        self, key: str, content_type: str, size: int, expires_s: int
    ) -> FormTarget:
        # Unlike a presigned PUT, a POST policy binds what S3 stores: this key, this type and
        # exactly this size; S3 refuses any other form itself (EntityTooLarge, EntityTooSmall,
        # AccessDenied "Policy Condition failed"), so nothing else ever lands under the key.
        check_key(key)
        expiry = datetime.now(UTC) + timedelta(seconds=check_expiry(expires_s))
        policy = PostPolicy(self.bucket, expiry)
        policy.add_equals_condition("key", key)
        policy.add_equals_condition("Content-Type", content_type)
        policy.add_content_length_range_condition(size, size)
        with _mapped_errors():
            signed: dict[str, str] = self._client.presigned_post_policy(policy)
        url = f"{self._scheme}://{self._endpoint}/{quote(self.bucket)}"
        return FormTarget(url, {"key": key, "Content-Type": content_type, **signed})

    async def presign_part(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        check_part_number(part_number)
        return self._presign(
            "PUT",
            key,
            expires_s,
            extra_query_params={"partNumber": str(part_number), "uploadId": upload_id},
        )

    async def presign_get(self, key: str, expires_s: int, *, window_s: int = 0) -> str:
        # SigV4 puts the signing time (X-Amz-Date) in the URL as well as the lifetime: both are
        # the window's, or the URL would change with every signing whatever its expiry.
        signed_at, lifetime = windows.aligned(windows.now(), expires_s, window_s)
        return self._presign(
            "GET", key, lifetime, request_date=datetime.fromtimestamp(signed_at, UTC)
        )

    def public_url(self, key: str) -> str | None:
        if self._public_base_url is None:
            return None
        return f"{self._public_base_url}/{quote(check_key(key), safe='/')}"

    def _presign(
        self,
        method: str,
        key: str,
        expires_s: int,
        extra_query_params: DictType | None = None,
        request_date: datetime | None = None,
    ) -> str:
        check_key(key)
        check_expiry(expires_s)
        with _mapped_errors():
            url: str = self._client.get_presigned_url(
                method,
                self.bucket,
                key,
                expires=timedelta(seconds=expires_s),
                extra_query_params=extra_query_params,
                request_date=request_date,
            )
        return url

    # -- multipart -------------------------------------------------------------------------

    async def create_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        upload_id: str = await self._run(
            self._client._create_multipart_upload,
            self.bucket,
            key,
            {"Content-Type": content_type},
        )
        return upload_id

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None:
        check_key(key)
        if not parts:
            raise InvalidParts("a multipart upload needs at least one part")
        numbers = [n for n, _ in parts]
        if len(set(numbers)) != len(numbers):
            raise InvalidParts("each part number may be named once")
        sdk_parts = [Part(check_part_number(n), normalise_etag(etag)) for n, etag in sorted(parts)]
        await self._run(
            self._client._complete_multipart_upload, self.bucket, key, upload_id, sdk_parts
        )

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        with suppress(UploadNotFound):  # aborting twice is not an error
            await self._run(self._client._abort_multipart_upload, self.bucket, key, upload_id)

    async def list_parts(self, key: str, upload_id: str) -> list[tuple[int, str, int]]:
        check_key(key)
        return await self._run(self._list_parts_sync, key, upload_id)

    def _list_parts_sync(self, key: str, upload_id: str) -> list[tuple[int, str, int]]:
        found: list[tuple[int, str, int]] = []
        marker: str | None = None
        while True:
            page = self._client._list_parts(self.bucket, key, upload_id, part_number_marker=marker)
            found.extend((p.part_number, p.etag, p.size or 0) for p in page.parts)
            if not page.is_truncated or not page.next_part_number_marker:
                return sorted(found)
            marker = page.next_part_number_marker

    # -- objects ---------------------------------------------------------------------------

    async def stat(self, key: str) -> ObjectInfo | None:
        check_key(key)
        try:
            obj = await self._run(self._client.stat_object, self.bucket, key)
        except ObjectNotFound:
            return None
        return ObjectInfo(size=obj.size or 0, etag=obj.etag or "", content_type=obj.content_type)

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        check_key(key)
        if start < 0 or length < 0:
            raise ValueError("start and length must not be negative")
        if length == 0:
            # The SDK reads length=0 as "to the end"; asking for nothing means nothing.
            return b""
        return await self._run(self._read_range_sync, key, start, length)

    def _read_range_sync(self, key: str, start: int, length: int) -> bytes:
        try:
            response = self._client.get_object(self.bucket, key, offset=start, length=length)
        except S3Error as exc:
            if exc.code == "InvalidRange":  # start is at or past the end of the object
                return b""
            raise
        try:
            data: bytes = response.read()
            return data
        finally:
            response.close()
            response.release_conn()

    async def download_to(self, key: str, path: Path) -> None:
        check_key(key)
        await self._run(self._client.fget_object, self.bucket, key, str(path))

    async def upload_from(self, path: Path, key: str, content_type: str) -> None:
        check_key(key)
        await self._run(
            self._client.fput_object, self.bucket, key, str(path), content_type=content_type
        )

    async def copy(self, src_key: str, dst_key: str) -> None:
        check_key(src_key)
        check_key(dst_key)
        # Server-side: the bytes never leave the storage cluster.
        await self._run(
            self._client.copy_object, self.bucket, dst_key, CopySource(self.bucket, src_key)
        )

    async def move(self, src_key: str, dst_key: str) -> None:
        # S3 has no rename. Deleting only after the copy succeeded: a failure in between leaves
        # both objects, never neither.
        await self.copy(src_key, dst_key)
        await self.delete(src_key)

    async def delete(self, key: str) -> None:
        check_key(key)
        with suppress(ObjectNotFound):
            await self._run(self._client.remove_object, self.bucket, key)

    # -- bucket and health -----------------------------------------------------------------

    async def ping(self) -> None:
        try:
            await self._run(self._client.bucket_exists, self.bucket)
        except StorageUnavailable:
            raise
        except StorageError as exc:
            # Wrong credentials or a confused proxy also mean "cannot use storage now".
            raise StorageUnavailable(str(exc)) from exc

    async def ensure_bucket(self) -> None:
        await self._run(self._ensure_bucket_sync)

    def _ensure_bucket_sync(self) -> None:
        if self._client.bucket_exists(self.bucket):
            return
        try:
            # No policy is attached: a new bucket is private, which is what we want.
            self._client.make_bucket(self.bucket, location=self._region)
        except S3Error as exc:
            if exc.code not in _BUCKET_EXISTS:  # another process created it meanwhile
                raise

    async def aclose(self) -> None:
        self._http.clear()

    # -- plumbing --------------------------------------------------------------------------

    async def _run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking SDK call in a worker thread, with its errors mapped to ours."""
        call = functools.partial(func, *args, **kwargs)

        def guarded() -> T:
            with _mapped_errors():
                return call()

        return await anyio.to_thread.run_sync(guarded)


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except S3Error as exc:
        raise _from_s3_error(exc) from exc
    except ServerError as exc:
        raise StorageUnavailable(f"storage server error (HTTP {exc.status_code})") from exc
    except InvalidResponseError as exc:
        raise StorageError(str(exc)) from exc
    except MinioException as exc:
        raise StorageError(str(exc)) from exc
    except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
        # Refused connection, timeout, reset, DNS failure: the server is not there right now.
        # (Other OSErrors, such as a full local disk in download_to, are not the server's fault
        # and pass through as they are.)
        raise StorageUnavailable(f"cannot reach object storage: {exc}") from exc


def _from_s3_error(exc: S3Error) -> StorageError:
    code = exc.code or ""
    message = f"{code}: {exc.message or ''}".rstrip(": ")
    if code in _MISSING_OBJECT:
        return ObjectNotFound(message)
    if code in _MISSING_UPLOAD:
        return UploadNotFound(message)
    if code in _BAD_PARTS:
        return InvalidParts(message)
    status: Any = getattr(exc.response, "status", None)
    if isinstance(status, int) and status >= 500:
        return StorageUnavailable(message)
    return StorageError(message)
