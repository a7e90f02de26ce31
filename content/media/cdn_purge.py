"""What the CDN must forget when public copies are removed, and the policy of telling it: each
batch is a job in the outbox (so a lost worker's batch is relayed), retried with a growing
delay until the hook takes it (docs/cdn.md)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from content import jobs
from infra import cdn
from infra.settings import Settings
from infra.storage.base import Storage

log = logging.getLogger("kepu.cdn")

# URLs per POST: a small body any CDN's refresh API takes in one call or a few.
BATCH_URLS = 100
_FIRST_DELAY_S = 2.0
_MAX_DELAY_S = 300.0


class RetryLater(Exception):
    def __init__(self, delay_s: float) -> None:
        super().__init__(f"retry in {delay_s:.0f} s")
        self.delay_s = delay_s


def ask(
    session: AsyncSession,
    storage: Storage,
    settings: Settings,
    content_id: str,
    removed: dict[str, list[str]],
) -> int:
    """Ask, once this session commits, for the CDN to forget the public copies ``removed``
    (public prefix → the keys deleted under it) because of ``content_id``. Nothing without
    KEPU_CDN_PURGE_URL. Returns the number of batches asked for."""
    if not settings.cdn_purge_url or not removed:
        return 0
    paths = [key for prefix in sorted(removed) for key in removed[prefix]]
    batches = 0
    for start in range(0, len(paths), BATCH_URLS):
        chunk = paths[start : start + BATCH_URLS]
        body = {
            "id": str(uuid.uuid4()),
            "content_id": content_id,
            "urls": [storage.public_url(path) for path in chunk],
            "paths": chunk,
            "prefixes": sorted({p for p in removed if any(k.startswith(f"{p}/") for k in chunk)}),
        }
        jobs.after_commit(session, jobs.PURGE_CDN, body["id"], body)
        batches += 1
    return batches


def _delay(tries: int) -> float:
    return min(_FIRST_DELAY_S * 2.0 ** max(tries - 1, 0), _MAX_DELAY_S)


async def send(
    http: httpx.AsyncClient, settings: Settings, purge_id: str, body: dict[str, Any], tries: int
) -> str:
    """POST one batch to the hook; `RetryLater` (with a growing delay) until it is taken. A
    worker without the hook (an old one, during a rollout that adds it) leaves the batch for
    one that has it rather than drop it."""
    if not (settings.cdn_purge_url and settings.cdn_purge_token):
        log.warning(
            "cdn purge %s waits: KEPU_CDN_PURGE_URL is not set on this worker (docs/cdn.md)",
            purge_id,
        )
        raise RetryLater(_MAX_DELAY_S)
    try:
        await cdn.post_purge(http, settings.cdn_purge_url, settings.cdn_purge_token, body)
    except cdn.PurgeFailed as exc:
        delay = _delay(tries)
        level = logging.ERROR if exc.refused else logging.WARNING
        log.log(
            level,
            "cdn purge %s of content %s (%d URLs, try %d) not taken, again in %.0f s: %s",
            purge_id, body.get("content_id"), len(body.get("urls", [])), tries, delay, exc,
        )  # fmt: skip
        raise RetryLater(delay) from exc
    log.info(
        "cdn purge %s of content %s taken by the hook: %d URLs",
        purge_id, body.get("content_id"), len(body.get("urls", [])),
    )  # fmt: skip
    return "purged"
