"""Reads from a PostgreSQL streaming replica (KEPU_DATABASE_REPLICA_URL): the start-up checks,
and the monitor that tells each process, twice a second, whether the replica may be read.

The replica is read only while its replay is within KEPU_REPLICA_MAX_LAG_S of the primary, and
for a request only once it has replayed past the WAL position that request must see (the
caller's last commit, the last change of what the feeds show); anything else reads the primary.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time

import redis.asyncio as aioredis
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("kepu.replica")

IN_USE = Gauge("kepu_db_replica_in_use", "1 while public reads go to the database replica")
LAG = Gauge(
    "kepu_db_replica_lag_seconds",
    "How far the replica's replay is behind the primary (-1: unreachable)",
)
FALLBACKS = Counter(
    "kepu_db_replica_fallbacks_total",
    "Reads that could have gone to the replica and went to the primary",
    # lag (or unreachable), fence, own_write; error and account: failed on the replica (an error,
    # an account it does not know yet) and run again on the primary
    ["reason"],
)

INTERVAL_S = 0.5
# A check that takes longer than this counts as the replica being unreachable.
CHECK_TIMEOUT_S = 2.0
# Errors of a replica query that the primary may well answer: connection refused or lost, a
# replica restarting, a query cancelled by a recovery conflict.
FAILURES = (DBAPIError, OSError, TimeoutError)


class ReplicaRefused(Exception):
    """KEPU_DATABASE_REPLICA_URL names something Kepu must not read from; the message says
    what to do."""


def lsn(value: int | str) -> int:
    """A WAL position as a number (asyncpg gives one; PostgreSQL prints "16/B374D848")."""
    if isinstance(value, int):
        return value
    high, _, low = value.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


async def _identity(engine: AsyncEngine) -> tuple[bool, int | None]:
    """Whether the server is a standby, and its cluster's system identifier (None when this
    role may not read it)."""
    async with engine.connect() as conn:
        in_recovery = bool(await conn.scalar(text("SELECT pg_is_in_recovery()")))
        try:
            system_id = await conn.scalar(text("SELECT system_identifier FROM pg_control_system()"))
        except DBAPIError:  # pg_control_system() is for superusers and pg_monitor only
            system_id = None
    return in_recovery, None if system_id is None else int(system_id)


async def verify(primary: AsyncEngine, replica: AsyncEngine) -> None:
    """Raise ReplicaRefused unless ``replica`` is a standby of ``primary``'s cluster. A replica
    that cannot be reached raises what the connection raised (see `FAILURES`)."""
    async with asyncio.timeout(CHECK_TIMEOUT_S * 2):
        _, primary_id = await _identity(primary)
        in_recovery, replica_id = await _identity(replica)
    if not in_recovery:
        raise ReplicaRefused(
            "KEPU_DATABASE_REPLICA_URL points at a server that is not a standby (the primary "
            "itself, or another primary): set it to a streaming replica of KEPU_DATABASE_URL, "
            "or unset it to read from the primary"
        )
    if primary_id is not None and replica_id is not None and primary_id != replica_id:
        raise ReplicaRefused(
            f"KEPU_DATABASE_REPLICA_URL is a replica of another database (system identifier "
            f"{replica_id}, the primary's is {primary_id}): point it at a standby made from "
            "KEPU_DATABASE_URL's server, or unset it"
        )
    if primary_id is None or replica_id is None:
        log.warning(
            "cannot compare the replica's system identifier with the primary's (the database "
            "role may not call pg_control_system(); grant it pg_monitor to have it checked)"
        )


# Read-your-writes. After a user's write commits, the primary's WAL position is kept in Redis
# under the user's id, and that user's reads use the replica only once its replay has passed
# it. Redis rather than a cookie or header the client echoes: the mini-program would have to
# send it on every call, and a user on two devices or behind several API replicas is covered
# all the same. The mark outlives any lag at which the replica is still used (the max lag is at
# most 60 s). A mark that cannot be read sends the read to the primary; one that cannot be
# written is logged (Redis is down then, and reads that find no Redis go to the primary).
_KEEP_HIGHEST = """
local old = redis.call('GET', KEYS[1])
if (not old) or ARGV[1] > old then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
"""


def mark_ttl_s(max_lag_s: float) -> int:
    return int(2 * max_lag_s) + 30


async def note_write(redis: aioredis.Redis, key: str, position: int, ttl_s: int) -> None:
    # Fixed-width hex compares as the number does, in Lua's string comparison too.
    await redis.eval(_KEEP_HIGHEST, 1, key, f"{position:016x}", ttl_s)


async def last_write(redis: aioredis.Redis, key: str) -> int:
    value = await redis.get(key)
    return int(value, 16) if value else 0


class Replica:
    """What this process knows of the replica: in use or not, how far it has replayed. `run`
    keeps it current; `serves` is the per-request decision and costs no query."""

    def __init__(self, primary: AsyncEngine, engine: AsyncEngine, max_lag_s: float) -> None:
        self.primary, self.engine, self.max_lag_s = primary, engine, max_lag_s
        self.in_use = False
        self.verified = False
        self.refused: str | None = None  # why the monitor found it must never be read
        self.replay_lsn = 0
        self.lag_s: float | None = None
        # (monotonic time, the primary's WAL position then): the oldest one the replica has not
        # replayed yet says how far behind it is, with or without traffic.
        self._samples: collections.deque[tuple[float, int]] = collections.deque(maxlen=1200)
        self._fences_asked = self._fences_taken = 0
        self._fence_lsn = 0
        IN_USE.set(0)
        LAG.set(-1)

    def fence(self) -> None:
        """What the feeds show just changed on the primary (a publish, a takedown, a pin): read
        it from the primary until the replica has replayed past where the primary is now. Called
        on every cache invalidation, so a page rebuilt after one never comes from older rows."""
        self._fences_asked += 1

    def refusal(self, write_lsn: int = 0) -> str | None:
        """None if a read that must see ``write_lsn`` may go to the replica now, else the reason
        it goes to the primary (the label of the fallbacks metric)."""
        if not self.in_use:
            return "lag"
        if self._fences_taken != self._fences_asked or self.replay_lsn < self._fence_lsn:
            return "fence"
        if self.replay_lsn < write_lsn:
            return "own_write"
        return None

    async def run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(INTERVAL_S)

    async def check(self) -> None:
        """One look at both servers; logs a line when the replica starts or stops being used."""
        if self.refused is not None:
            return
        asked = self._fences_asked
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                async with self.primary.connect() as conn:
                    primary_lsn = lsn(await conn.scalar(text("SELECT pg_current_wal_lsn()")))
        except FAILURES:
            return  # the primary's own trouble: reads fail there too, /readyz says so
        now = time.monotonic()
        self._samples.append((now, primary_lsn))
        if asked != self._fences_taken:
            self._fence_lsn, self._fences_taken = primary_lsn, asked
        try:
            replay = await self._replay_lsn()
        except FAILURES as exc:
            self._set(False, None, f"unreachable ({type(exc).__name__}: {exc})")
            return
        except ReplicaRefused as exc:
            self.refused = str(exc)
            self._set(False, None, str(exc))
            return
        if replay is None:
            self._set(False, None, "it is no longer a standby (promoted?)")
            return
        self.replay_lsn = replay
        while self._samples and self._samples[0][1] <= replay:
            self._samples.popleft()
        lag = now - self._samples[0][0] if self._samples else 0.0
        within = lag <= self.max_lag_s
        self._set(within, lag, f"{lag:.1f} s behind, over KEPU_REPLICA_MAX_LAG_S")

    async def _replay_lsn(self) -> int | None:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            if not self.verified:
                await verify(self.primary, self.engine)
                self.verified = True
            async with self.engine.connect() as conn:
                replay = await conn.scalar(text("SELECT pg_last_wal_replay_lsn()"))
        return None if replay is None else lsn(replay)

    def _set(self, in_use: bool, lag: float | None, why_not: str) -> None:
        self.lag_s = lag
        LAG.set(-1 if lag is None else lag)
        if self.refused is not None:
            in_use = False
        if in_use == self.in_use:
            return
        self.in_use = in_use
        IN_USE.set(int(in_use))
        if in_use:
            log.info("database replica in use (%.1f s behind the primary)", lag or 0.0)
        else:
            log.warning("database replica not used, reads go to the primary: %s", why_not)
