"""A worker SIGKILLed while the CDN's purge hook has its batch in hand: the outbox hands the batch
to another worker, which sends it again, the same id, until the hook takes it."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import create_app
from content.media import cdn_purge
from content.models import JobOutbox
from infra.services import Services
from infra.settings import Settings
from tests.cdn_stub import CdnStub, run_cdn_stub
from tests.helpers import eventually, scratch_database, serving
from tests.processes import kepu_env, kill, start_worker
from workers.app import _write

pytestmark = pytest.mark.faults

TOKEN = secrets.token_urlsafe(32)
REMOVED = {"public/0f1e": ["public/0f1e/media/m1/cover.jpg", "public/0f1e/media/m1/720p.mp4"]}


@pytest.fixture
def stub() -> Iterator[CdnStub]:
    with run_cdn_stub() as running:
        yield running


@pytest.fixture
async def own_stack(settings: Settings, stub: CdnStub) -> AsyncIterator[tuple[Settings, Services]]:
    """A database, queue and key prefix of this test's own, so no other worker of the test
    session relays its jobs; and an API on them without a worker."""
    run = secrets.token_hex(4)
    async with scratch_database(f"kepu_cdn_kill_{run}") as url:
        cdn = settings.model_copy(
            update={
                "database_url": url,
                "queue_name": f"kepu-cdn-kill-{run}",
                "redis_prefix": f"kepu-cdn-kill-{run}",
                "public_media_base_url": "https://cdn.example",
                "cdn_purge_url": stub.url,
                "cdn_purge_token": TOKEN,
                "run_embedded_worker": False,
            }
        )
        app = create_app(cdn)
        async with serving(app):
            yield cdn, app.state.services


def _worker(cdn: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = kepu_env(
        cdn,
        KEPU_PUBLIC_MEDIA_BASE_URL=str(cdn.public_media_base_url),
        KEPU_CDN_PURGE_URL=str(cdn.cdn_purge_url),
        KEPU_CDN_PURGE_TOKEN=TOKEN,
        KEPU_OCR_ENABLED="false",
        KEPU_LOG_LEVEL="INFO",
    )
    return start_worker(env, log)


async def test_a_purge_whose_worker_is_killed_is_sent_again_by_another(
    own_stack: tuple[Settings, Services], stub: CdnStub, tmp_path: Path
) -> None:
    cdn, services = own_stack

    async def ask(session: AsyncSession) -> int:
        return cdn_purge.ask(session, services.storage, cdn, "c-killed", REMOVED)

    first = _worker(cdn, tmp_path / "first.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        stub.hold_next()
        assert await _write(services, ask) == 1

        async def in_hand() -> bool:
            return bool(stub.about("c-killed"))

        await eventually(in_hand, within=60)  # the first worker starts, takes it, waits
        kill(first)
        killed_at = time.monotonic()
        stub.release()  # the answer reaches nobody
        second = _worker(cdn, tmp_path / "second.log")

        async def taken() -> bool:
            return bool(stub.taken("c-killed"))

        await eventually(taken, within=60)
        took_s = time.monotonic() - killed_at
        held, *_, sent = stub.about("c-killed")
        assert held.answered == -1 and sent.answered == 200
        assert sent.body == held.body  # the same batch, the same id: the hook can skip one
        assert sent.body["paths"] == REMOVED["public/0f1e"]
        assert sent.headers["authorization"] == f"Bearer {TOKEN}"

        async def done() -> bool:
            async with services.read_sessions() as session:
                rows = await session.exec(select(JobOutbox).where(JobOutbox.name == "purge_cdn"))
                return not rows.all()

        await eventually(done)
        print(f"purge sent again {took_s:.1f} s after its worker was killed")
    finally:
        for proc in (first, second):
            if proc is not None:
                kill(proc)
    second_log = (tmp_path / "second.log").read_text()
    assert "Traceback" not in second_log, second_log
