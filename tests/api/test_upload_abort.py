"""A phone that loses its connection in the middle of an upload PUT (local-disk storage, a real
uvicorn server): a client abort, not a server error — logged at info without a traceback, no
5xx in the metrics, nothing half-written kept, and the same URL takes the whole file after."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually, free_port
from tests.media_files import png
from tests.processes import kepu_env, start_api, stop, wait_ready

ROUTE = "/storage/{key:path}"  # the route label /metrics uses


@dataclass
class Server:
    url: str
    media: Path  # the local-disk storage root
    log: Path
    proc: subprocess.Popen[bytes]


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[Server]:
    """The API on local-disk storage (no S3 configured), logging at info to a file."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = kepu_env(
        settings,
        KEPU_DATA_DIR=str(tmp_path / "data"),
        KEPU_PUBLIC_API_BASE_URL=url,
        KEPU_RUN_EMBEDDED_WORKER="false",
        KEPU_LOG_LEVEL="INFO",
    )
    for name in ("KEPU_S3_ENDPOINT", "KEPU_S3_ACCESS_KEY", "KEPU_S3_SECRET_KEY"):
        env.pop(name)
    log = tmp_path / "api.log"
    proc = start_api(env, port, log=log)
    try:
        wait_ready(url, proc)
        yield Server(url, tmp_path / "data" / "media", log, proc)
    finally:
        stop(proc)


def _storage_requests(metrics: str) -> dict[str, float]:
    """PUTs to the storage route counted by /metrics, by status."""
    found: dict[str, float] = {}
    for line in metrics.splitlines():
        ours = line.startswith("kepu_http_requests_total{") and f'route="{ROUTE}"' in line
        if ours and 'method="PUT"' in line and (status := re.search(r'status="(\d+)"', line)):
            found[status.group(1)] = float(line.rsplit(" ", 1)[1])
    return found


async def _put_half_and_hang_up(url: str, content_type: str, body: bytes, media: Path) -> None:
    """Send the headers and half the body over a raw socket, wait until the server is writing
    it to disk, then drop the connection."""
    target = urlsplit(url)
    reader, writer = await asyncio.open_connection(target.hostname, target.port)
    head = (
        f"PUT {target.path}?{target.query} HTTP/1.1\r\nHost: {target.netloc}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body[: len(body) // 2])
    await writer.drain()

    async def receiving() -> bool:
        temps = media / ".tmp"
        return temps.is_dir() and any(temps.iterdir())

    await eventually(receiving, within=15, interval=0.02)
    writer.transport.abort()  # a connection lost mid-body, not a polite end
    await writer.wait_closed()
    del reader


async def test_an_upload_put_cut_off_mid_body_is_a_client_abort_and_can_be_sent_again(
    services: Services, server: Server, tmp_path: Path
) -> None:
    creator = await f.person(services, "creator")
    image = png(tmp_path / "cover.png", 640, 400)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        plan = (
            await client.post(
                "/api/v1/uploads",
                json={"filename": "cover.png", "content_type": "image/png", "size": len(image)},
                headers=creator.auth,
            )
        ).json()
        key = f"uploads/{creator.id}/{plan['upload_id']}/original"

        await _put_half_and_hang_up(plan["url"], "image/png", image, server.media)

        async def counted() -> dict[str, float]:
            return _storage_requests((await client.get("/metrics")).text)

        statuses = await eventually(counted, within=15)
        # Counted as the client's doing (499, as proxies name it), never as a server error.
        assert statuses == {"499": 1.0}, statuses

        async def temp_gone() -> bool:
            return not any((server.media / ".tmp").iterdir())

        await eventually(temp_gone, within=5)  # the half-received bytes are not kept…
        assert not (server.media / key).exists()  # …and nothing reached the object's place

        # The phone retries with the same URL: the whole file goes through, and completes.
        put = await client.put(plan["url"], content=image, headers=plan["headers"])
        assert put.status_code == 200, put.text
        done = await client.post(
            f"/api/v1/uploads/{plan['upload_id']}/complete", headers=creator.auth
        )
        assert done.status_code == 200, done.text
        assert (server.media / f"media/{done.json()['media_id']}/original").read_bytes() == image
        assert _storage_requests((await client.get("/metrics")).text) == {"499": 1.0, "200": 1.0}

    log = server.log.read_text()
    aborted = [line for line in log.splitlines() if "went away" in line]
    assert len(aborted) == 1 and "[info" in aborted[0], log[-3000:]
    assert "Traceback" not in log and "[error" not in log, log[-3000:]
