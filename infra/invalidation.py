"""Cache invalidation across processes over Redis pub/sub: `broadcast` returns once every
subscribed process acknowledged dropping what it names (docs/feeds.md)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
ACK_TTL_S = 30
RECONNECT_S = 0.5
POLL_S = 0.002


def _ack_key(channel: str, token: str) -> str:
    return f"{channel}:ack:{token}"


async def broadcast(redis: aioredis.Redis, channel: str, what: str, wait_s: float) -> bool:
    """Tell every listener to drop ``what``; True once all of them acknowledged in time."""
    token = secrets.token_hex(8)
    try:
        receivers = int(await redis.publish(channel, f"{token} {what}"))
        deadline = asyncio.get_running_loop().time() + wait_s
        while receivers:
            acks = int(await redis.get(_ack_key(channel, token)) or 0)
            if acks >= receivers:
                return True
            if asyncio.get_running_loop().time() > deadline:
                log.warning("%d of %d processes acknowledged an invalidation", acks, receivers)
                return False
            await asyncio.sleep(POLL_S)
    except (RedisError, OSError) as exc:
        # Listeners lose their subscription too when Redis goes, and cache nothing until back.
        log.warning("invalidation not broadcast (Redis unavailable): %s", exc)
        return False
    return True


class Listener:
    """Runs ``on_message(what)`` for each broadcast, and ``on_state(subscribed)`` whenever the
    subscription is made or lost. While unsubscribed its process must cache nothing: messages
    sent meanwhile are missed."""

    def __init__(
        self,
        redis: aioredis.Redis,
        channel: str,
        on_message: Callable[[str], None],
        on_state: Callable[[bool], None],
    ) -> None:
        self.redis, self.channel = redis, channel
        self.on_message, self.on_state = on_message, on_state

    async def run(self) -> None:
        while True:
            try:
                await self._listen()
            except (RedisError, OSError) as exc:
                log.warning("cache invalidation channel lost (%s); reconnecting", exc)
            finally:
                self.on_state(False)
            await asyncio.sleep(RECONNECT_S)

    async def _listen(self) -> None:
        async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(self.channel)
            self.on_state(True)
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None or message.get("type") != "message":
                    continue
                token, _, what = str(message["data"]).partition(" ")
                self.on_message(what)
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.incr(_ack_key(self.channel, token))
                    pipe.expire(_ack_key(self.channel, token), ACK_TTL_S)
                    await pipe.execute()
