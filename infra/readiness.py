"""Readiness: whether the database, Redis and object storage answer, each within a deadline.
The names of the ones that do not are for anyone to read; why they do not goes to the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from enum import StrEnum

from sqlalchemy import text

from infra.services import Services

log = logging.getLogger(__name__)
CHECK_TIMEOUT_S = 2.0


async def _database(s: Services) -> None:
    async with s.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _redis(s: Services) -> None:
    await s.redis.ping()


async def _storage(s: Services) -> None:
    await s.storage.ping()


class Component(StrEnum):
    DATABASE = "database"
    REDIS = "redis"
    STORAGE = "storage"


CHECKS: dict[Component, Callable[[Services], Awaitable[None]]] = {
    Component.DATABASE: _database,
    Component.REDIS: _redis,
    Component.STORAGE: _storage,
}


async def unready(services: Services, skip: Collection[Component] = ()) -> list[str]:
    """The components that did not answer (sorted), all checked at once, but those in ``skip``."""
    down: list[str] = []

    async def run(name: Component) -> None:
        try:
            await asyncio.wait_for(CHECKS[name](services), CHECK_TIMEOUT_S)
        except Exception as exc:  # any failure means "not ready"; the log says why
            log.warning("readiness: %s is down: %s: %s", name, type(exc).__name__, exc)
            down.append(name.value)

    await asyncio.gather(*(run(n) for n in CHECKS if n not in skip))
    return sorted(down)
