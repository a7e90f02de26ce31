"""Start-up checks of Redis that refuse to start rather than run wrong: the Sentinels answer
and know the master (`infra.sentinel.check`), and no other installation uses this queue name or
key prefix on the same Redis (`content.kit.claim_redis`)."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from content.kit import claim_redis
from infra import db, sentinel
from infra.redis import make_client
from infra.services import Services
from infra.settings import Settings

log = logging.getLogger("kepu.app")


async def check_redis(settings: Settings, url: str) -> None:
    """Raises `sentinel.RedisRefused` with the message to show. A Redis merely down is not
    refused here: the API reports it when it opens its clients, and a worker waits for it."""
    await sentinel.check(url)
    engine = db.make_engine(settings.resolved_database_url())
    client = make_client(url)
    try:
        async with db.make_sessionmaker(engine)() as session:
            await claim_redis(session, client, settings)
            await session.commit()
    except (OSError, RedisError, DBAPIError) as exc:  # down, or a database not migrated yet
        log.warning("could not check who else uses this Redis (%s); checked at the next start", exc)
    finally:
        await client.aclose()
        await engine.dispose()


async def claim(services: Services) -> None:
    """The installation check on a process's opened clients (the API's lifespan)."""
    try:
        async with services.write_sessions() as session:
            await claim_redis(session, services.redis, services.settings)
            await session.commit()
    except (OSError, RedisError) as exc:
        log.warning("could not check who else uses this Redis (%s); checked at the next start", exc)
