"""Jobs a service asks for. They are enqueued only after the commit that makes their input
visible (the session dependency and the workers flush them), so a job never sees stale rows."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

MACHINE_REVIEW = "machine_review"
PROCESS_MEDIA = "process_media"
SYNC_PUBLIC_MEDIA = "sync_public_media"
FEED_REBUILD = "feed_rebuild"
FLUSH_COUNTERS = "flush_counters"

_KEY = "kepu.jobs_after_commit"


def after_commit(session: AsyncSession, name: str, *args: Any) -> None:
    session.info.setdefault(_KEY, []).append((name, args))


def take_pending(session: AsyncSession) -> list[tuple[str, tuple[Any, ...]]]:
    jobs: list[tuple[str, tuple[Any, ...]]] = session.info.pop(_KEY, [])
    return jobs
