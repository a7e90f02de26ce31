"""/admin/stats over a year of rollups against a real `kepu serve --no-workers` on PostgreSQL.

The target (docs/stats.md): a year of statistics answers from the rollups in under 100 ms (p99),
whatever the number of contents and viewers; reported with its ratio to the one-route FastAPI
app (`bare_app.py`) on the same machine in the same round.

What it does: a fresh PostgreSQL database built by the migrations, then, with one `INSERT …
SELECT generate_series` per table (not through the API): --contents published articles (default
10^3) spread over 20 creators, 5 topics × 4 audiences; a year of rollups, every content active
every day: --contents × 365 rows of `stats_content_day`, 365 × (20 topic × audience pairs +
2 types) of `stats_segment_day`, 365 × 7 (stage × decision) of `stats_review_day`. It times the
rollup job's own work in process: rolling up one day from raw records (a day of `view_day`,
likes and shares for every content) and computing the rankings over the year's rollups. Then it
starts `kepu serve --no-workers` and `bare_app.py` (sized like the answer), and runs `wrk
--latency` against `/admin/stats?from=…&to=…` (366 days, an operator's token) and the one-route
app, alternating, --runs times, with two connections (wrk's least for its two threads: about
the latency one operator waits); the median of the runs is reported. An answer is kept in Redis
between runs of the rollup job, so wrk times the kept answer; before it, --runs × 20 sequential
requests, each for a range no answer is kept for (about a year each), time summing the rollups.

Run from the repository root: `python benchmarks/stats_rollups.py [--contents 1000]` (needs
wrk; PostgreSQL and Redis as in the tests, or KEPU_TEST_PG and KEPU_TEST_REDIS). Prints PASS or
FAIL and exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from feed_throughput import (  # type: ignore[import-not-found]
    JWT,
    PG_ADMIN,
    Catalogue,
    Result,
    start_bare_app,
    start_server,
    wrk,
)

from content import accounts, stats
from content.seed import seed
from infra import db
from infra.security import issue_token

DAYS = 365
TOPICS = ["health", "environment", "technology", "space", "food"]
AUDIENCES = ["children", "teenagers", "adults", "elderly"]
STAGE_DECISIONS = [("machine", "pass_"), ("machine", "block"), ("political", "approve"),
                   ("political", "reject"), ("science", "approve"), ("science", "reject"),
                   ("science", "request_changes")]  # fmt: skip

# Stored enums hold member names ("pass_" for Action.pass_), as SQLAlchemy writes them.
# $1 = contents, $2 = the creators' id prefix, $3 = the last day (the segment rows: $2 = the
# last day). Content g belongs to creator
# g % 20, topic g % 5 and audience g % 4.
SEED_SQL = [
    """INSERT INTO content (id, type, owner_id, status, working_revision_id, live_revision_id,
         published_at, created_at, updated_at)
       SELECT 'c' || lpad(g::text, 25, '0'), 'article', $2 || lpad((g % 20)::text, 2, '0'),
         'published', 'r' || lpad(g::text, 25, '0'), 'r' || lpad(g::text, 25, '0'),
         now() - interval '400 days', now(), now()
       FROM generate_series(1, $1) g""",
    """INSERT INTO revision (id, content_id, number, author_id, state, title, summary, body,
         topics, audiences, discipline, "references", findings, created_at, updated_at)
       SELECT 'r' || lpad(g::text, 25, '0'), 'c' || lpad(g::text, 25, '0'), 1,
         $2 || lpad((g % 20)::text, 2, '0'), 'published', '科普文章第' || g || '篇', '摘要', '正文',
         json_build_array((ARRAY['health','environment','technology','space','food'])[g % 5 + 1]),
         json_build_array((ARRAY['children','teenagers','adults','elderly'])[g % 4 + 1]),
         'medicine', '[]', '[]', now(), now()
       FROM generate_series(1, $1) g""",
    """INSERT INTO stats_content_day (day, content_id, owner_id, type, views, viewers,
         completions, watched_s, likes, favorites, shares)
       SELECT $3::date - d, 'c' || lpad(g::text, 25, '0'), $2 || lpad((g % 20)::text, 2, '0'),
         'article', (g * 7 + d) % 500, (g + d) % 100, (g + d) % 30, ((g + d) % 100) * 30.0,
         (g + d) % 20, (g + d) % 9, (g + d) % 5
       FROM generate_series(1, $1) g, generate_series(0, 364) d""",
    """INSERT INTO stats_segment_day (day, topic, audience, type, contents, views, viewers,
         completions, watched_s, likes, favorites, shares)
       SELECT $2::date - d, t, a, '', $1 / 20, 5000 + d, 1000 + d, 300, 30000.0, 200, 90, 50
       FROM generate_series(0, 364) d,
         unnest(ARRAY['health','environment','technology','space','food']) t,
         unnest(ARRAY['children','teenagers','adults','elderly']) a""",
    """INSERT INTO stats_segment_day (day, topic, audience, type, contents, views, viewers,
         completions, watched_s, likes, favorites, shares)
       SELECT $2::date - d, '', '', ty, $1 / 2, 50000 + d, 10000 + d, 3000, 300000.0, 2000, 900,
         500
       FROM generate_series(0, 364) d, unnest(ARRAY['article','video']) ty""",
]
REVIEW_SQL = """INSERT INTO stats_review_day (day, stage, action, decisions, in_stage_s,
     in_stage_max_s, since_submit_s, since_submit_max_s)
   SELECT $1::date - d, $2, $3, 10 + d % 7, 36000.0, 7200.0, 72000.0, 14400.0
   FROM generate_series(0, 364) d"""


async def build(contents: int) -> tuple[Catalogue, dict[str, float]]:
    tag = secrets.token_hex(4)
    name = f"kepu_bench_{tag}"
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    async_url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    await asyncio.to_thread(db.upgrade, async_url)
    engine = db.make_engine(async_url)
    sessions = db.make_sessionmaker(engine)
    async with sessions() as session:
        await seed(session)
        admin = await accounts.create_staff_user(
            session, username=f"admin-{tag}", password=secrets.token_urlsafe(16),
            display_name="运营", roles=["admin"], disciplines=[],
        )  # fmt: skip
        await session.commit()
    owner_prefix = f"bench{tag}creator"[:24]
    last = stats.today()
    conn = await asyncpg.connect(url)
    for i in range(20):
        await conn.execute(
            'INSERT INTO "user" (id, display_name, roles, disciplines, is_active, created_at) '
            "VALUES ($1, $2, '[\"creator\"]', '[]', true, now())",
            f"{owner_prefix}{i:02d}",
            f"科普作者{i}",
        )
    started = time.perf_counter()
    for sql in SEED_SQL:
        if "$3" in sql:
            await conn.execute(sql, contents, owner_prefix, last)
        elif "$2::date" in sql:  # the segment rows
            await conn.execute(sql, contents, last)
        else:
            await conn.execute(sql, contents, owner_prefix)
    for stage, action in STAGE_DECISIONS:
        await conn.execute(REVIEW_SQL, last, stage, action)
    # One day of raw records for the rollup to read: views of every content, likes, shares.
    await conn.execute(
        """INSERT INTO view_day (content_id, day, views, viewers, completions, watched_s)
           SELECT 'c' || lpad(g::text, 25, '0'), $2::date, g % 500, g % 100, g % 30, 600.0
           FROM generate_series(1, $1) g""",
        contents,
        last,
    )
    await conn.execute("ANALYZE")
    rows = await conn.fetchval("SELECT count(*) FROM stats_content_day")
    await conn.close()
    print(f"  {contents} contents, {rows} content-day rollup rows inserted in "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
    timings = {}
    async with sessions() as session:
        started = time.perf_counter()
        await stats.roll_up(session, last)
        await session.commit()
        timings["roll up one day"] = time.perf_counter() - started
        started = time.perf_counter()
        await stats.compute(session)
        await session.commit()
        timings["compute rankings"] = time.perf_counter() - started
    await engine.dispose()
    token = issue_token(admin.id, JWT, 3600)
    return Catalogue(contents, name, url, f"kepu-bench-{tag}", token, 0.0), timings


async def drop(cat: Catalogue) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{cat.database}" WITH (FORCE)')
    await conn.close()


def summed(url: str, token: str, requests: int) -> Result:
    """Sequential requests, each for a range no answer is kept for (a day shorter each time,
    all about a year): every one sums the rollups. Latency only (rps and CPU left at 0)."""
    times = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(requests):
            first = stats.today() - timedelta(days=DAYS - i % 300)
            started = time.perf_counter()
            client.get(url.split("?")[0], params={"from": str(first)}).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return Result(0.0, statistics.median(times), times[int(len(times) * 0.99) - 1], 0.0)


def measure(cat: Catalogue, runs: int, duration: int, connections: int) -> dict[str, Result]:
    data_dir = tempfile.mkdtemp(prefix="kepu-bench-")
    proc, base = start_server(cat, data_dir)
    bare_proc: subprocess.Popen[bytes] | None = None
    try:
        last = stats.today()
        first = last - timedelta(days=DAYS)
        url = f"{base}/api/v1/admin/stats?from={first}&to={last}"
        resp = httpx.get(url, headers={"Authorization": f"Bearer {cat.viewer_token}"})
        resp.raise_for_status()
        body = resp.json()
        assert body["days"] == DAYS + 1 and len(body["by_topic_audience"]) == 20, body["days"]
        print(f"  answer: {len(resp.content)} bytes", flush=True)
        cold = summed(url, cat.viewer_token, runs * 20)
        bare_proc, bare_url = start_bare_app(len(resp.content))
        targets = {
            "bare": (bare_url, None, bare_proc.pid),
            "/admin/stats": (url, cat.viewer_token, proc.pid),
        }
        rounds: dict[str, list[Result]] = {name: [] for name in targets}
        for _ in range(runs):
            for name, (target, token, pid) in targets.items():
                rounds[name].append(wrk(pid, target, duration, connections, token))
        medians = {
            name: Result(
                statistics.median(r.rps for r in results),
                statistics.median(r.p50_ms for r in results),
                statistics.median(r.p99_ms for r in results),
                statistics.median(r.cpu_us for r in results),
            )
            for name, results in rounds.items()
        }
        return {**medians, "/admin/stats summed": cold}
    finally:
        for server in (proc, bare_proc):
            if server is not None:
                server.terminate()
                server.wait(15)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contents", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install -y wrk")
        return 2
    print(f"a year of rollups for {args.contents} contents", flush=True)
    cat, timings = asyncio.run(build(args.contents))
    try:
        res = measure(cat, args.runs, args.duration, args.connections)
    finally:
        asyncio.run(drop(cat))
    for name, seconds in timings.items():
        print(f"  {name}: {seconds * 1000:.0f} ms")
    print(f"\nmedian of {args.runs} runs, wrk -t2 -c{args.connections} -d{args.duration}s")
    print(f"  {'route':<14}{'rps':>8}{'p50 ms':>9}{'p99 ms':>9}{'x bare rps':>12}")
    for name, r in res.items():
        print(f"  {name:<14}{r.rps:>8.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
              f"{r.rps / res['bare'].rps:>12.2f}")  # fmt: skip
    ok = True
    for name in ("/admin/stats summed", "/admin/stats"):
        p99 = res[name].p99_ms
        ok &= p99 < 100
        print(f"  {name} p99 {p99:.1f} ms (target < 100 ms): {'PASS' if p99 < 100 else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
