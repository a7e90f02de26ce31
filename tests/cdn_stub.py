"""A local stand-in for an operator's CDN and its purge hook (docs/cdn.md): a real HTTP server
that keeps every POST it gets, answers the statuses a test queued (then 200), and can go down
and come back on the same port; given an origin, it serves GETs under ``/media/`` from it, as a
CDN in front of the bucket does."""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from minio import Minio
from minio.error import S3Error

from infra.settings import Settings
from tests.helpers import free_port


@dataclass(frozen=True)
class Received:
    body: dict[str, Any]
    headers: dict[str, str]
    answered: int


# An object's bytes by its key, None when there is no such object.
Origin = Callable[[str], bytes | None]


class CdnStub:
    def __init__(self, origin: Origin | None = None) -> None:
        self.origin = origin
        self.port = free_port()
        self.received: list[Received] = []
        self._answers: deque[int] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._hold = False
        self._released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/purge"

    @property
    def media_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/media"

    def answer(self, *statuses: int) -> None:
        """Answer the next POSTs with these statuses, then 200 again."""
        with self._lock:
            self._answers.extend(statuses)

    def hold_next(self) -> None:
        """The next POST gets no answer until `release` (a hook that hangs): it is kept as
        answered ``-1``."""
        with self._lock:
            self._hold = True
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def about(self, content_id: str) -> list[Received]:
        """The POSTs received for ``content_id``, oldest first."""
        with self._lock:
            return [r for r in self.received if r.body.get("content_id") == content_id]

    def taken(self, content_id: str) -> list[Received]:
        return [r for r in self.about(content_id) if r.answered == 200]

    def _handle(self, body: dict[str, Any], headers: dict[str, str]) -> int:
        with self._lock:
            held, self._hold = self._hold, False
            status = self._answers.popleft() if self._answers else 200
            self.received.append(Received(body, headers, -1 if held else status))
        if held:
            self._released.wait(60)
        return status

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                status = stub._handle(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                key = self.path.removeprefix("/media/")
                found = stub.origin(key) if stub.origin and key != self.path else None
                self.send_response(404 if found is None else 200)
                self.send_header("Content-Length", str(len(found or b"")))
                self.end_headers()
                self.wfile.write(found or b"")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """Nothing listens on the hook's port while the block runs."""
        self.stop()
        try:
            yield
        finally:
            self.start()


@contextlib.contextmanager
def run_cdn_stub(origin: Origin | None = None) -> Iterator[CdnStub]:
    stub = CdnStub(origin)
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()


def bucket_of(settings: Settings) -> Minio:
    """The test bucket's S3 server, as the CDN's origin reaches it."""
    return Minio(
        str(settings.s3_endpoint),
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        region=settings.s3_region,
        secure=False,
    )


def bucket_origin(settings: Settings) -> Origin:
    """A CDN origin reading the test bucket: an object's bytes, or None where there is none."""
    bucket = bucket_of(settings)

    def origin(key: str) -> bytes | None:
        try:
            answer = bucket.get_object(settings.s3_bucket, key)
        except S3Error:
            return None
        try:
            return answer.read()
        finally:
            answer.close()
            answer.release_conn()

    return origin
