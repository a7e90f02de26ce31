"""The storage behaviours the app relies on, run against both S3Storage and LocalStorage.

S3Storage talks to a real SeaweedFS (the session's `s3` server from conftest) through real
presigned URLs, in a bucket of its own per test; LocalStorage is driven the way the API's
storage route drives it: `verify`, then `write_stream` / `open_read`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import anyio
import httpx
import pytest

from infra.settings import Settings
from infra.storage import (
    InvalidKey,
    InvalidParts,
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    SignatureExpired,
    SignatureInvalid,
    Storage,
    StorageUnavailable,
    TooManyBytes,
    UploadNotFound,
    build_storage,
    windows,
)
from infra.storage.base import MIN_PART_SIZE, InvalidRange, RangeNotSatisfiable
from infra.storage.ranges import check_range
from tests.s3server import S3ServerInfo, remove_bucket

ROUTE_PREFIX = "/somewhere/storage"  # wherever the caller serves the storage route
LOCAL_BASE_URL = "http://testserver"
LOCAL_URL = LOCAL_BASE_URL + ROUTE_PREFIX
BAD_KEYS = ["../escape", "a/../../b", "/etc/passwd", "a//b", "", "a/./b", ".multipart/x", "a\\b"]


@pytest.fixture
async def s3_storage(s3: S3ServerInfo) -> AsyncIterator[S3Storage]:
    # A fresh bucket per test: nothing one test leaves behind can fool another.
    storage = S3Storage(
        endpoint=s3.endpoint,
        access_key=s3.access_key,
        secret_key=s3.secret_key,
        bucket=f"kepu-test-{secrets.token_hex(6)}",
        region=s3.region,
    )
    await storage.ensure_bucket()
    yield storage
    await storage.aclose()
    await anyio.to_thread.run_sync(remove_bucket, s3, storage.bucket)


@pytest.fixture
async def local_storage(tmp_path: Path) -> LocalStorage:
    storage = LocalStorage(tmp_path / "media", LOCAL_URL, secrets.token_urlsafe(32))
    await storage.ensure_bucket()
    return storage


@pytest.fixture(params=["s3", "local"])
def storage(request: pytest.FixtureRequest) -> Storage:
    name = "s3_storage" if request.param == "s3" else "local_storage"
    found: Storage = request.getfixturevalue(name)
    return found


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def put(
    storage: Storage,
    http: httpx.AsyncClient,
    url: str,
    data: bytes,
    content_type: str = "application/octet-stream",
) -> str:
    """PUT ``data`` to a presigned URL the way a client would; return the ETag it gets back."""
    if isinstance(storage, LocalStorage):
        key, query = _local_route_args(url)
        signed = storage.verify("PUT", key, query)
        _, etag = await storage.write_stream(
            key,
            _chunks(data),
            max_bytes=len(data),
            upload_id=signed.upload_id,
            part_number=signed.part_number,
            content_type=signed.content_type,
        )
        return etag
    response = await http.put(url, content=data, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    return response.headers["etag"].strip('"')


async def get(storage: Storage, http: httpx.AsyncClient, url: str) -> bytes:
    if isinstance(storage, LocalStorage):
        key, query = _local_route_args(url)
        signed = storage.verify("GET", key, query)
        return b"".join([block async for block in storage.open_read(signed.key)])
    response = await http.get(url)
    assert response.status_code == 200, response.text
    return response.content


def _local_route_args(url: str) -> tuple[str, dict[str, str]]:
    """What the storage route receives: the decoded key after the prefix, and the query."""
    parts = urlsplit(url)
    prefix = ROUTE_PREFIX + "/"
    assert parts.path.startswith(prefix)
    return unquote(parts.path[len(prefix) :]), dict(parse_qsl(parts.query))


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# -- both backends -----------------------------------------------------------------------------


async def test_presigned_put_stores_the_bytes_with_their_size_and_md5(
    storage: Storage, http: httpx.AsyncClient
) -> None:
    data = os.urandom(70_000)
    url = await storage.presign_put("uploads/a/original", "video/mp4", expires_s=60)

    etag = await put(storage, http, url, data, content_type="video/mp4")

    info = await storage.stat("uploads/a/original")
    assert info is not None
    assert info.size == len(data)
    assert info.etag == etag == _md5(data)
    assert info.content_type == "video/mp4"


async def test_stat_of_a_missing_object_is_none(storage: Storage) -> None:
    assert await storage.stat("uploads/nothing/here") is None


async def test_read_range_returns_the_first_bytes(
    storage: Storage, http: httpx.AsyncClient
) -> None:
    data = b"\x00\x00\x00\x18ftypmp42" + os.urandom(1000)
    await put(storage, http, await storage.presign_put("k/head", "video/mp4", 60), data)

    assert await storage.read_range("k/head", 0, 12) == data[:12]
    assert await storage.read_range("k/head", 4, 4) == b"ftyp"
    assert await storage.read_range("k/head", len(data) - 3, 100) == data[-3:]
    assert await storage.read_range("k/head", len(data) + 10, 16) == b""


async def test_read_range_of_a_missing_object_raises_object_not_found(storage: Storage) -> None:
    with pytest.raises(ObjectNotFound):
        await storage.read_range("k/missing", 0, 16)


async def test_multipart_upload_through_presigned_part_urls_joins_the_parts_in_order(
    storage: Storage, http: httpx.AsyncClient
) -> None:
    key = "uploads/big/original"
    first, second = os.urandom(MIN_PART_SIZE), os.urandom(MIN_PART_SIZE + 123)
    upload_id = await storage.create_multipart(key, "video/quicktime")

    # Parts may arrive in any order; the part number decides where they go.
    etag2 = await put(storage, http, await storage.presign_part(key, upload_id, 2, 60), second)
    etag1 = await put(storage, http, await storage.presign_part(key, upload_id, 1, 60), first)
    assert await storage.list_parts(key, upload_id) == [
        (1, etag1, len(first)),
        (2, etag2, len(second)),
    ]
    await storage.complete_multipart(key, upload_id, [(2, f'"{etag2}"'), (1, etag1)])

    info = await storage.stat(key)
    assert info is not None
    assert info.size == len(first) + len(second)
    assert info.content_type == "video/quicktime"
    boundary = len(first) - 4
    assert await storage.read_range(key, boundary, 8) == first[-4:] + second[:4]


async def test_complete_multipart_with_a_wrong_etag_raises_invalid_parts(
    storage: Storage, http: httpx.AsyncClient
) -> None:
    key = "uploads/wrong/original"
    upload_id = await storage.create_multipart(key, "video/mp4")
    await put(storage, http, await storage.presign_part(key, upload_id, 1, 60), b"part one")

    with pytest.raises(InvalidParts):
        await storage.complete_multipart(key, upload_id, [(1, _md5(b"something else"))])


async def test_complete_multipart_with_a_small_first_part_raises_invalid_parts(
    storage: Storage, http: httpx.AsyncClient
) -> None:
    key = "uploads/small/original"
    upload_id = await storage.create_multipart(key, "video/mp4")
    etag1 = await put(storage, http, await storage.presign_part(key, upload_id, 1, 60), b"tiny")
    etag2 = await put(storage, http, await storage.presign_part(key, upload_id, 2, 60), b"tail")

    with pytest.raises(InvalidParts):
        await storage.complete_multipart(key, upload_id, [(1, etag1), (2, etag2)])


async def test_abort_multipart_drops_the_upload_and_may_be_repeated(
    storage: Storage, http: httpx.AsyncClient
) -> None:
    key = "uploads/abandoned/original"
    upload_id = await storage.create_multipart(key, "video/mp4")
    await put(storage, http, await storage.presign_part(key, upload_id, 1, 60), b"some bytes")

    await storage.abort_multipart(key, upload_id)
    await storage.abort_multipart(key, upload_id)

    with pytest.raises(UploadNotFound):
        await storage.list_parts(key, upload_id)
    assert await storage.stat(key) is None


async def test_delete_is_idempotent(storage: Storage, http: httpx.AsyncClient) -> None:
    await put(storage, http, await storage.presign_put("k/gone", "image/png", 60), b"png")

    await storage.delete("k/gone")
    await storage.delete("k/gone")

    assert await storage.stat("k/gone") is None


async def test_move_keeps_bytes_etag_and_type_under_the_new_key_only(
    storage: Storage, http: httpx.AsyncClient
) -> None:
    data = os.urandom(5000)
    url = await storage.presign_put("uploads/u/1/original", "video/mp4", 60)
    etag = await put(storage, http, url, data, content_type="video/mp4")

    await storage.move("uploads/u/1/original", "media/m/original")

    assert await storage.stat("uploads/u/1/original") is None
    info = await storage.stat("media/m/original")
    assert info is not None and (info.size, info.etag) == (len(data), etag)
    assert info.content_type == "video/mp4"
    assert await storage.read_range("media/m/original", 0, 5000) == data
    with pytest.raises(ObjectNotFound):
        await storage.move("uploads/u/1/original", "media/m/again")


async def test_presigned_get_serves_the_bytes(storage: Storage, http: httpx.AsyncClient) -> None:
    data = os.urandom(3000)
    await put(storage, http, await storage.presign_put("k/cover.jpg", "image/jpeg", 60), data)

    assert await get(storage, http, await storage.presign_get("k/cover.jpg", 60)) == data


async def test_upload_from_and_download_to_round_trip_a_local_file(
    storage: Storage, tmp_path: Path
) -> None:
    source, target = tmp_path / "rendition.mp4", tmp_path / "out" / "copy.mp4"
    target.parent.mkdir()
    source.write_bytes(os.urandom(200_000))

    await storage.upload_from(source, "renditions/x/720p.mp4", "video/mp4")
    await storage.download_to("renditions/x/720p.mp4", target)

    assert target.read_bytes() == source.read_bytes()
    info = await storage.stat("renditions/x/720p.mp4")
    assert info is not None
    assert (info.size, info.content_type) == (200_000, "video/mp4")


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_keys_that_are_not_plain_relative_paths_are_rejected(
    storage: Storage, key: str
) -> None:
    with pytest.raises(InvalidKey):
        await storage.presign_put(key, "video/mp4", 60)
    with pytest.raises(InvalidKey):
        await storage.stat(key)
    with pytest.raises(InvalidKey):
        await storage.delete(key)


async def test_ping_answers_when_the_backend_is_there(storage: Storage) -> None:
    await storage.ping()


def test_public_url_is_none_without_a_public_base_url(storage: Storage) -> None:
    assert storage.public_url("renditions/x/720p.mp4") is None


# -- S3: the server really checks presigned URLs -----------------------------------------------


def _tamper(url: str, *, path: str | None = None, signature: str | None = None) -> str:
    parts = urlsplit(url)
    query = parts.query
    if signature is not None:
        query = "&".join(
            f"X-Amz-Signature={signature}" if p.startswith("X-Amz-Signature=") else p
            for p in query.split("&")
        )
    return urlunsplit(parts._replace(path=path or parts.path, query=query))


def _flip_last_hex_digit(signature: str) -> str:
    return signature[:-1] + ("0" if signature[-1] != "0" else "1")


async def test_s3_rejects_a_presigned_put_whose_signature_was_changed(
    s3_storage: S3Storage, http: httpx.AsyncClient
) -> None:
    url = await s3_storage.presign_put("k/tampered", "video/mp4", 60)
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]

    response = await http.put(_tamper(url, signature=_flip_last_hex_digit(signature)), content=b"x")

    assert response.status_code == 403
    assert await s3_storage.stat("k/tampered") is None


async def test_s3_rejects_a_presigned_put_used_for_another_key(
    s3_storage: S3Storage, http: httpx.AsyncClient
) -> None:
    url = await s3_storage.presign_put("k/allowed", "video/mp4", 60)
    other_path = urlsplit(url).path.replace("/k/allowed", "/k/other")

    response = await http.put(_tamper(url, path=other_path), content=b"x")

    assert response.status_code == 403
    assert await s3_storage.stat("k/other") is None


async def test_s3_rejects_an_expired_presigned_put(
    s3_storage: S3Storage, http: httpx.AsyncClient
) -> None:
    url = await s3_storage.presign_put("k/late", "video/mp4", expires_s=1)
    await anyio.sleep(2)

    response = await http.put(url, content=b"x")

    assert response.status_code == 403
    assert await s3_storage.stat("k/late") is None


async def test_s3_bucket_is_private(s3_storage: S3Storage, http: httpx.AsyncClient) -> None:
    url = await s3_storage.presign_put("k/private", "image/png", 60)
    await put(s3_storage, http, url, b"secret bytes")
    unsigned = urlsplit(url)._replace(query="").geturl()

    assert (await http.get(unsigned)).status_code == 403
    assert (await http.put(unsigned, content=b"overwrite")).status_code == 403


async def test_s3_presigning_does_not_talk_to_the_server() -> None:
    # Nothing listens on this port: presigning must still work, as it is local computation.
    storage = S3Storage(
        endpoint=f"127.0.0.1:{_closed_port()}", access_key="a", secret_key="b", bucket="kepu"
    )
    url = await storage.presign_part("k/x", "upload-id", 3, 60)
    assert "partNumber=3" in url
    assert "uploadId=upload-id" in url


async def test_s3_ping_raises_storage_unavailable_quickly_when_nothing_listens() -> None:
    storage = S3Storage(
        endpoint=f"127.0.0.1:{_closed_port()}", access_key="a", secret_key="b", bucket="kepu"
    )
    began = time.monotonic()

    with pytest.raises(StorageUnavailable):
        await storage.ping()

    assert time.monotonic() - began < 3
    await storage.aclose()


async def test_s3_ping_raises_storage_unavailable_with_wrong_credentials(
    s3: S3ServerInfo,
) -> None:
    storage = S3Storage(
        endpoint=s3.endpoint,
        access_key=s3.access_key,
        secret_key="not-the-secret",
        bucket="kepu",
        region=s3.region,
    )
    with pytest.raises(StorageUnavailable):
        await storage.ping()
    await storage.aclose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# -- LocalStorage: the checks its HTTP route relies on ------------------------------------------


async def test_local_verify_accepts_an_untouched_url(local_storage: LocalStorage) -> None:
    url = await local_storage.presign_put("k/ok", "video/mp4", 60)

    signed = local_storage.verify("PUT", *_local_route_args(url))

    assert (signed.method, signed.key, signed.content_type) == ("PUT", "k/ok", "video/mp4")
    assert url.startswith(f"{LOCAL_BASE_URL}{ROUTE_PREFIX}/k/ok?")


@pytest.mark.parametrize(
    "field, value",
    [
        ("sig", "0" * 64),
        ("expires", "9999999999"),
        ("content_type", "text/html"),
        ("max_bytes", "999999999"),
    ],
)
async def test_local_verify_rejects_a_changed_query_parameter(
    local_storage: LocalStorage, field: str, value: str
) -> None:
    url = await local_storage.presign_put("k/x", "video/mp4", 60, max_bytes=1000)
    key, query = _local_route_args(url)

    with pytest.raises(SignatureInvalid):
        local_storage.verify("PUT", key, {**query, field: value})


async def test_local_verify_rejects_a_url_used_for_another_key(
    local_storage: LocalStorage,
) -> None:
    _, query = _local_route_args(await local_storage.presign_put("k/allowed", "video/mp4", 60))

    with pytest.raises(SignatureInvalid):
        local_storage.verify("PUT", "k/other", query)


async def test_local_verify_rejects_a_url_used_with_another_method(
    local_storage: LocalStorage,
) -> None:
    key, query = _local_route_args(await local_storage.presign_get("k/x", 60))

    with pytest.raises(SignatureInvalid):
        local_storage.verify("PUT", key, query)
    assert local_storage.verify("HEAD", key, query).method == "GET"


async def test_local_verify_rejects_a_url_without_a_signature(
    local_storage: LocalStorage,
) -> None:
    key, query = _local_route_args(await local_storage.presign_put("k/x", "video/mp4", 60))
    del query["sig"]

    with pytest.raises(SignatureInvalid):
        local_storage.verify("PUT", key, query)


async def test_local_verify_rejects_an_expired_url(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    storage = LocalStorage(tmp_path, LOCAL_URL, "s" * 32, clock=lambda: now[0])
    key, query = _local_route_args(await storage.presign_put("k/x", "video/mp4", 60))
    now[0] += 61

    with pytest.raises(SignatureExpired):
        storage.verify("PUT", key, query)


async def test_local_verify_rejects_a_url_signed_with_another_secret(tmp_path: Path) -> None:
    signer = LocalStorage(tmp_path, LOCAL_URL, "one secret")
    checker = LocalStorage(tmp_path, LOCAL_URL, "another secret")
    key, query = _local_route_args(await signer.presign_put("k/x", "video/mp4", 60))

    with pytest.raises(SignatureInvalid):
        checker.verify("PUT", key, query)


@pytest.mark.parametrize("key", ["../escape", "a/../../b"])
def test_local_verify_rejects_keys_that_leave_the_root(
    local_storage: LocalStorage, key: str
) -> None:
    with pytest.raises(InvalidKey):
        local_storage.verify("GET", key, {"method": "GET", "expires": "1", "sig": "x"})


async def test_local_write_stream_past_max_bytes_raises_too_many_bytes_and_stores_nothing(
    local_storage: LocalStorage,
) -> None:
    with pytest.raises(TooManyBytes):
        await local_storage.write_stream("k/huge", _chunks(os.urandom(3 * 1024 * 1024)), 1000)

    assert await local_storage.stat("k/huge") is None
    assert list((local_storage.root / ".tmp").iterdir()) == []


async def test_local_write_stream_to_an_unknown_upload_raises_upload_not_found(
    local_storage: LocalStorage,
) -> None:
    with pytest.raises(UploadNotFound):
        await local_storage.write_stream(
            "k/x", _chunks(b"part"), 100, upload_id="0" * 32, part_number=1
        )
    with pytest.raises(UploadNotFound):
        await local_storage.write_stream(
            "k/x", _chunks(b"part"), 100, upload_id="../../etc", part_number=1
        )


async def test_local_upload_id_belongs_to_its_key(local_storage: LocalStorage) -> None:
    upload_id = await local_storage.create_multipart("k/mine", "video/mp4")

    with pytest.raises(UploadNotFound):
        await local_storage.write_stream(
            "k/theirs", _chunks(b"part"), 100, upload_id=upload_id, part_number=1
        )


async def test_local_open_read_streams_a_range(local_storage: LocalStorage) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    await local_storage.write_stream("k/video", _chunks(data), len(data))

    blocks = [b async for b in local_storage.open_read("k/video", start=10, length=2_500_000)]

    assert b"".join(blocks) == data[10:2_500_010]


@pytest.mark.parametrize(
    "header",
    [
        "bytes",
        "items=0-1",
        "bytes=",
        "bytes=abc",
        "bytes=5-2",
        "bytes=-",
        "bytes=+1-2",
        "bytes=0-1,x",
    ],
)
def test_a_malformed_range_is_refused(header: str) -> None:
    with pytest.raises(InvalidRange):
        check_range(header, 1000)


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=0-1,999-"])
def test_a_range_past_the_end_is_not_satisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        check_range(header, 999)
    assert caught.value.size == 999


@pytest.mark.parametrize(
    "header", [None, "bytes=0-99", "bytes=990-5000", "bytes=-50", "bytes=0-1, 5-9", "BYTES=1-"]
)
def test_a_servable_range_passes(header: str | None) -> None:
    check_range(header, 1000)


# -- factory -----------------------------------------------------------------------------------


async def test_build_storage_is_local_under_the_data_dir_without_an_s3_endpoint(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path, storage_secret="s" * 32, public_api_base_url="https://kepu.example/"
    )

    storage = build_storage(settings, storage_route=ROUTE_PREFIX)

    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "media"
    # Its URLs point where the caller serves the route, under the API's public address.
    url = await storage.presign_get("k/x", 60)
    assert url.startswith(f"https://kepu.example{ROUTE_PREFIX}/k/x?")


def test_build_storage_is_s3_when_an_endpoint_is_set(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        s3_endpoint="minio:9000",
        s3_access_key="key",
        s3_secret_key="secret",
        public_media_base_url="https://cdn.example.com/media/",
    )

    storage = build_storage(settings, storage_route=ROUTE_PREFIX)

    assert isinstance(storage, S3Storage)
    assert storage.public_url("renditions/x/720p.mp4") == (
        "https://cdn.example.com/media/renditions/x/720p.mp4"
    )


# -- signed GETs that stay the same within a window -------------------------------------------

WINDOW, MIN_VALID = 1800, 900


@pytest.mark.parametrize("offset", [0, 1, 899.5, WINDOW - 0.001])
def test_a_windowed_url_is_valid_at_least_the_minimum_and_at_most_one_window_more(
    offset: float,
) -> None:
    at = 1_800_000_000 // WINDOW * WINDOW + offset
    signed_at, lifetime = windows.aligned(at, MIN_VALID, WINDOW)
    assert signed_at <= at
    assert MIN_VALID <= signed_at + lifetime - at <= MIN_VALID + WINDOW
    assert windows.aligned(at, MIN_VALID, 0) == (int(at), MIN_VALID)  # no window: as asked


def test_signing_times_are_the_same_within_a_window_and_differ_across_its_end() -> None:
    start = 1_800_000_000 // WINDOW * WINDOW
    first = windows.aligned(start + 1, MIN_VALID, WINDOW)
    assert windows.aligned(start + WINDOW - 1, MIN_VALID, WINDOW) == first
    assert windows.aligned(start + WINDOW, MIN_VALID, WINDOW) != first


async def test_s3_signs_one_url_per_object_per_window_that_serves_the_bytes(
    s3_storage: S3Storage, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(1000)
    await put(s3_storage, http, await s3_storage.presign_put("k/c.jpg", "image/jpeg", 60), data)
    start = time.time() // WINDOW * WINDOW  # the window we are in, so the URL works now

    urls = []
    for at in (start + 1, start + 61, start + WINDOW - 1, start + WINDOW):
        monkeypatch.setattr(windows, "now", lambda at=at: at)
        urls.append(await s3_storage.presign_get("k/c.jpg", MIN_VALID, window_s=WINDOW))
    assert urls[0] == urls[1] == urls[2]  # X-Amz-Date and X-Amz-Expires both the window's
    assert urls[3] != urls[0]
    assert await get(s3_storage, http, urls[0]) == data
    unaligned = await s3_storage.presign_get("k/c.jpg", MIN_VALID)  # no window: as asked
    assert dict(parse_qsl(urlsplit(unaligned).query))["X-Amz-Expires"] == str(MIN_VALID)


async def test_local_signs_one_url_per_object_per_window(tmp_path: Path) -> None:
    start = 1_800_000_000 // WINDOW * WINDOW
    now = [start + 1.0]
    storage = LocalStorage(tmp_path, LOCAL_URL, "s" * 32, clock=lambda: now[0])
    first = await storage.presign_get("k/x", MIN_VALID, window_s=WINDOW)
    now[0] = start + WINDOW - 1
    assert await storage.presign_get("k/x", MIN_VALID, window_s=WINDOW) == first
    key, query = _local_route_args(first)
    assert int(query["expires"]) == start + WINDOW + MIN_VALID
    assert storage.verify("GET", key, query).key == "k/x"  # still valid at the window's end
    now[0] = start + WINDOW
    assert await storage.presign_get("k/x", MIN_VALID, window_s=WINDOW) != first
