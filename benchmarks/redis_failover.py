"""Likes through a Redis failover, and what waiting for a replica costs a view.

Starts a Redis master, two replicas and three Sentinels (`tests/sentinels.py`: a master is
down after 500 ms), a scratch PostgreSQL database, and two API processes on the Sentinel URL:
one waiting for a replica before acknowledging a view (KEPU_REDIS_ACK_REPLICAS=1, the default
with Sentinel) and one not (0). Then:

1. Views: alternating rounds of sequential view requests on each API; the median per round and
   the ratio of the medians (the cost of WAIT per view).
2. Likes: CONCURRENCY clients like and unlike for DURATION_S; the master is SIGKILLed after a
   third of it. Reports the p50/p99 of a like before the kill and from the kill until the new
   master answers, the window during which likes failed or waited (took longer than the p99
   before the kill), and how many failed.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, as the tests use it):

    PYTHONPATH=. .venv/bin/python benchmarks/redis_failover.py

Prints the numbers, then PASS, or FAIL (exit 1) if an acknowledged like is not in the database
afterwards as acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlmodel import select

from api.app import STORAGE_ROUTE
from content.models import Reaction, ReactionKind
from infra.services import Services, open_services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import free_port, scratch_database
from tests.processes import ApiServer, kepu_env
from tests.s3server import run_seaweedfs
from tests.sentinels import Topology, running_topology


@dataclass
class Sample:
    at: float  # seconds since the start of the run
    latency_s: float
    ok: bool


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    liked: dict[str, bool] = field(default_factory=dict)  # fan → last acknowledged state


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _views(url: str, fan: f.Person, content_id: str, n: int) -> float:
    """Median seconds of ``n`` sequential views by ``fan``."""
    times = []
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            resp = await client.post(
                f"/api/v1/contents/{content_id}/views", json={"event": "start"}, headers=fan.auth
            )
            times.append(time.perf_counter() - t0)
            resp.raise_for_status()
    return statistics.median(times)


async def _liker(
    url: str, fan: f.Person, content_id: str, start: float, end: float, run: Run
) -> None:
    like = f"/api/v1/contents/{content_id}/like"
    on = True
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        while time.monotonic() < end:
            t0 = time.monotonic()
            try:
                resp = await (client.post if on else client.delete)(like, headers=fan.auth)
                ok = resp.status_code == 200
            except httpx.TransportError:
                ok = False
            run.samples.append(Sample(t0 - start, time.monotonic() - t0, ok))
            if ok:
                run.liked[fan.id] = on
                on = not on


async def _missing_likes(services: Services, content_id: str, run: Run) -> int:
    """Fans whose last acknowledged like or unlike the database does not show."""
    query = select(Reaction.user_id).where(
        Reaction.content_id == content_id, Reaction.kind == ReactionKind.like
    )
    async with services.read_sessions() as session:
        found = set((await session.exec(query)).all())
    return sum(1 for fan, liked in run.liked.items() if liked != (fan in found))


async def bench(args: argparse.Namespace, root: Path) -> int:
    with running_topology(root / "redis") as topology, run_seaweedfs() as s3:
        async with scratch_database(f"kepu_bench_failover_{secrets.token_hex(4)}") as url:
            settings = Settings(
                database_url=url, redis_url=topology.url, data_dir=root / "data",
                queue_name="bench-failover", redis_prefix="bench-failover",
                s3_endpoint=s3.endpoint, s3_access_key=s3.access_key, s3_secret_key=s3.secret_key,
                s3_bucket="bench-failover", s3_region=s3.region,
                jwt_secret=secrets.token_urlsafe(48),
            )  # fmt: skip
            async with open_services(settings, storage_route=STORAGE_ROUTE, migrate=True) as svc:
                return await _measure(args, root, settings, svc, topology)


async def _measure(
    args: argparse.Namespace,
    root: Path,
    settings: Settings,
    services: Services,
    topology: Topology,
) -> int:
    # One client address and a few users make every request: no rate limit in the way.
    unlimited = {f"KEPU_INTERACTIONS_PER_MINUTE{s}": "10000000" for s in ("", "_PER_ADDRESS")}
    env = kepu_env(settings, KEPU_RUN_EMBEDDED_WORKER="false", **unlimited)
    waiting = ApiServer({**env, "KEPU_REDIS_ACK_REPLICAS": "1"}, free_port(), root / "a.log")
    plain = ApiServer({**env, "KEPU_REDIS_ACK_REPLICAS": "0"}, free_port(), root / "b.log")
    for api in (waiting, plain):
        await asyncio.to_thread(api.start)
    try:
        async with services.write_sessions() as session:
            content = await f.published_in_session(session, settings)
            await session.commit()
        content_id = content.content.id
        fans = [await f.person(services, name=f"fan{i}") for i in range(args.concurrency)]

        rounds: dict[str, list[float]] = {"wait": [], "no_wait": []}
        for _ in range(args.rounds):
            rounds["wait"].append(await _views(waiting.url, fans[0], content_id, args.views))
            rounds["no_wait"].append(await _views(plain.url, fans[0], content_id, args.views))
        w, nw = statistics.median(rounds["wait"]), statistics.median(rounds["no_wait"])
        print(f"view, WAIT 1: median of round medians {w * 1000:.2f} ms ({rounds['wait']})")
        print(f"view, no WAIT: median of round medians {nw * 1000:.2f} ms ({rounds['no_wait']})")
        print(f"cost of WAIT per view: {(w - nw) * 1000:+.2f} ms, ratio {w / nw:.2f}")

        run, start = Run(), time.monotonic()
        end = start + args.duration
        likers = [
            asyncio.create_task(_liker(waiting.url, fan, content_id, start, end, run))
            for fan in fans
        ]
        await asyncio.sleep(args.duration / 3)
        old = topology.master()
        killed_at = time.monotonic() - start
        await asyncio.to_thread(old.kill)
        await asyncio.to_thread(topology.wait_for_new_master, old)
        promoted_at = time.monotonic() - start
        await asyncio.gather(*likers)
    finally:
        for api in (waiting, plain):
            api.stop()

    _report(run, len(fans), args.duration, killed_at, promoted_at)
    missing = await _missing_likes(services, content_id, run)
    print(f"acknowledged likes not in the database as acknowledged: {missing}")
    print("PASS" if not missing else "FAIL: acknowledged likes were lost")
    return 1 if missing else 0


def _ms(values: list[float], q: float) -> str:
    return f"{_pct(values, q) * 1000:.1f} ms"


def _report(run: Run, clients: int, duration: float, killed_at: float, promoted_at: float) -> None:
    before = [s.latency_s for s in run.samples if s.at < killed_at and s.ok]
    during = [s.latency_s for s in run.samples if killed_at <= s.at <= promoted_at]
    # A like after the kill that failed, or took longer than the slowest 1 % before it, waited.
    slow_s = _pct(before, 0.99)
    bad = [s for s in run.samples if s.at >= killed_at and (not s.ok or s.latency_s > slow_s)]
    window = (max(s.at + s.latency_s for s in bad) - min(s.at for s in bad)) if bad else 0.0
    failed = sum(not s.ok for s in run.samples)
    print(f"likes: {len(run.samples)} requests by {clients} clients over {duration:.0f} s")
    print(f"master killed at {killed_at:.2f} s, new master answering at {promoted_at:.2f} s")
    print(f"like before the kill: p50 {_ms(before, 0.5)}, p99 {_ms(before, 0.99)}")
    print(
        f"like from the kill to the new master: p50 {_ms(during, 0.5)}, "
        f"p99 {_ms(during, 0.99)} ({len(during)} requests)"
    )
    print(
        f"likes failed or slower than the p99 before the kill after it: {len(bad)}, "
        f"within {window:.2f} s; failed: {failed}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--views", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(bench(args, Path(tmp)))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
