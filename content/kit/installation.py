"""One Redis, one deployment per queue: each installation registers its id (kept in its
database) in Redis under its queue name and key prefix at start, and refuses to start where
another installation's id is already there (their workers would take each other's jobs)."""

from __future__ import annotations

import redis.asyncio as aioredis
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import Installation
from infra.clock import utcnow
from infra.ids import new_id
from infra.sentinel import RedisRefused
from infra.settings import Settings
from infra.upsert import insert_for

# Outside every deployment's prefix: the prefix is one of the names compared.
REGISTRY = "kepu-installation"


async def installation_id(session: AsyncSession) -> str:
    """This database's installation id, made on first use (two processes starting at once
    agree: the second insert does nothing)."""
    row = {"slot": 1, "id": new_id(), "created_at": utcnow()}
    await session.exec(insert_for(session, Installation).values(**row).on_conflict_do_nothing())
    found: str = (await session.exec(select(Installation.id).where(Installation.slot == 1))).one()
    return found


def registry_key(setting: str, value: str) -> str:
    return f"{REGISTRY}:{setting.lower()}:{value}"


async def claim_redis(session: AsyncSession, redis: aioredis.Redis, settings: Settings) -> None:
    """Register this installation under its queue name and key prefix; RedisRefused, naming
    both settings, if another installation holds either."""
    ours = await installation_id(session)
    for setting, value in (
        ("KEPU_QUEUE_NAME", settings.queue_name),
        ("KEPU_REDIS_PREFIX", settings.redis_prefix),
    ):
        key = registry_key(setting, value)
        await redis.set(key, ours, nx=True)
        theirs = str(await redis.get(key) or "") or None
        if theirs is not None and theirs != ours:
            raise RedisRefused(
                f"{setting}={value!r} is already used on this Redis by another installation "
                f"({theirs}; this one is {ours}): their workers would take each other's jobs. "
                "Give each deployment its own KEPU_QUEUE_NAME and KEPU_REDIS_PREFIX (or its own "
                f"Redis); if the other one is gone for good, delete the key {key!r} in Redis"
            )
