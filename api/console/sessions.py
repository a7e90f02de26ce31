"""Console sessions: a random token in a Secure, HttpOnly, SameSite=Strict cookie, and what it
stands for (the user, the CSRF token, the deadline) in Redis under the token's hash, so a stolen
Redis dump opens no session and logout or a disabled account ends it at once."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from content.errors import Unavailable

COOKIE = "kepu_console"
PATH = "/console"
# However active, a session ends after a working day; idle ones end sooner (the setting).
MAX_AGE_S = 12 * 3600
# A refused form's input waits this long for the page it is sent back to.
KEPT_S = 300


@dataclass(frozen=True)
class ConsoleSession:
    token: str
    user_id: str
    csrf: str
    expires_at: float  # the absolute end, a Unix time

    def csrf_matches(self, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(self.csrf, sent or "")


def _down(exc: RedisError) -> Unavailable:
    return Unavailable(
        f"console sessions are kept in Redis, which is unreachable ({type(exc).__name__}); "
        "nobody can sign in until it is back",
        code="dependency.down",
    )


class SessionStore:
    """Sessions in Redis. Redis down: the console refuses with 503 (a page saying so) rather
    than letting anyone in unchecked; a flushed Redis signs everyone out, nothing else."""

    def __init__(self, redis: aioredis.Redis, prefix: str, idle_s: int) -> None:
        self.redis, self.prefix, self.idle_s = redis, prefix, idle_s

    def _key(self, token: str) -> str:
        return f"{self.prefix}:console:session:{hashlib.sha256(token.encode()).hexdigest()}"

    async def open(self, user_id: str) -> ConsoleSession:
        session = ConsoleSession(
            token=secrets.token_urlsafe(32),
            user_id=user_id,
            csrf=secrets.token_urlsafe(32),
            expires_at=time.time() + MAX_AGE_S,
        )
        body = {k: v for k, v in asdict(session).items() if k != "token"}
        try:
            await self.redis.set(self._key(session.token), json.dumps(body), ex=self.idle_s)
        except RedisError as exc:
            raise _down(exc) from exc
        return session

    async def find(self, token: str | None) -> ConsoleSession | None:
        """The live session the cookie names, its idle deadline pushed back; None when there is
        none (never opened, logged out, idle too long, past its working day)."""
        if not token or len(token) > 100:
            return None
        key = self._key(token)
        try:
            raw = await self.redis.get(key)
            if raw is None:
                return None
            session = ConsoleSession(token=token, **json.loads(raw))
            left = session.expires_at - time.time()
            if left <= 0:
                await self.redis.delete(key)
                return None
            await self.redis.expire(key, int(min(self.idle_s, left)) + 1)
        except RedisError as exc:
            raise _down(exc) from exc
        return session

    def _kept_key(self, token: str) -> str:
        return self._key(token) + ":kept"

    async def keep(self, token: str, fields: dict[str, list[str]]) -> None:
        """What a refused form held, for the page it goes back to (a few minutes at most)."""
        try:
            await self.redis.set(self._kept_key(token), json.dumps(fields), ex=KEPT_S)
        except RedisError as exc:
            raise _down(exc) from exc

    async def take_kept(self, token: str) -> dict[str, list[str]]:
        try:
            raw = await self.redis.getdel(self._kept_key(token))
        except RedisError as exc:
            raise _down(exc) from exc
        return json.loads(raw) if raw else {}

    async def close(self, token: str | None) -> None:
        if token:
            try:
                await self.redis.delete(self._key(token))
            except RedisError as exc:
                raise _down(exc) from exc
