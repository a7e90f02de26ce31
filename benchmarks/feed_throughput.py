"""Feed pages per second against a real `kepu serve --no-workers` on PostgreSQL and Redis.

The targets (docs/architecture.md): a warm `latest` page reaches at least 0.7x the requests per
second of a separate one-route FastAPI app returning the same bytes under the
same uvicorn settings (`bare_app.py`: nothing of Kepu's in its way), and stays flat from 10^3 to
10^6 published items (within 1.2x). A bare route inside Kepu's app (`in-app bare`, behind our
middleware) is measured too, to tell our middleware's cost from the page's own.

What it does, for each catalogue size (default 10^3 and 10^6): a fresh PostgreSQL database built
by the migrations, published articles inserted with one `INSERT … SELECT generate_series` per
table (not through the API), spread over 20 creators, one topic and one audience each, and a
viewer who follows every creator; the feeds in Redis (a throw-away key prefix) are filled by the
same rebuild `kepu feeds rebuild` runs (timed and reported). Then it starts `kepu serve
--no-workers` with `KEPU_BENCHMARK_ROUTES=true` (which adds `GET /api/v1/_bench/bare/{size}`)
and `bare_app.py`, and, after warming each page once, runs `wrk --latency` against, in turn: the
one-route app and the in-app bare route, both sized like the latest page, `latest`, `latest` by
topic, `hot`, and `following` (with the viewer's token). Each is run `--runs` times,
alternating, and the median of the runs is reported: rps, p50, p99, and rps as a ratio of the
one-route app's in the same round.

Everything runs on loopback, bounded by `--duration` per run. The machine's cores are shared
with wrk and whatever else runs, so absolute numbers are noisy; the ratios are what count.

Run from the repository root: `python benchmarks/feed_throughput.py [--items 1000,1000000]`
(needs wrk: `apt-get install -y wrk`; PostgreSQL and Redis as in the tests, or KEPU_TEST_PG and
KEPU_TEST_REDIS). Prints PASS or FAIL and exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from content import accounts, feeds
from content.seed import seed
from infra import db
from infra.redis import make_client
from infra.security import issue_token

PG_ADMIN = os.environ.get("KEPU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("KEPU_TEST_REDIS", "redis://127.0.0.1:6379/0")
CREATORS = 20
JWT = secrets.token_urlsafe(48)

# One statement per table; $1 = items, $2 = the first creator's id prefix. Item g belongs to
# creator g % 20, is one topic and one audience, published g seconds before now.
SEED_SQL = [
    """INSERT INTO content (id, type, owner_id, status, working_revision_id, live_revision_id,
         published_at, created_at, updated_at)
       SELECT 'c' || lpad(g::text, 25, '0'), 'article', $2 || lpad((g % 20)::text, 2, '0'),
         'published', 'r' || lpad(g::text, 25, '0'), 'r' || lpad(g::text, 25, '0'),
         now() - make_interval(secs => g), now(), now()
       FROM generate_series(1, $1) g""",
    """INSERT INTO revision (id, content_id, number, author_id, state, title, summary, body,
         topics, audiences, discipline, "references", findings, created_at, updated_at)
       SELECT 'r' || lpad(g::text, 25, '0'), 'c' || lpad(g::text, 25, '0'), 1,
         $2 || lpad((g % 20)::text, 2, '0'), 'published',
         '科普文章第' || g || '篇：冬季如何科学预防流感', '接种疫苗、勤洗手、多通风，远离流感。',
         '正文', '["health"]', '["elderly"]', 'medicine', '[]', '[]', now(), now()
       FROM generate_series(1, $1) g""",
    """INSERT INTO contenttopic (content_id, topic_slug)
       SELECT 'c' || lpad(g::text, 25, '0'), 'health' FROM generate_series(1, $1) g""",
    """INSERT INTO contentaudience (content_id, audience_slug)
       SELECT 'c' || lpad(g::text, 25, '0'), 'elderly' FROM generate_series(1, $1) g""",
    """INSERT INTO contentstats (content_id, views, viewers, completions, watched_s, likes,
         favorites, shares, comments, hot_score, updated_at)
       SELECT 'c' || lpad(g::text, 25, '0'), g % 1000, g % 100, g % 50, 0, g % 37, g % 11,
         g % 7, 0, log(1 + 2 * (g % 37) + 3 * (g % 11) + 4 * (g % 7) + 0.5 * (g % 100)
         + (g % 50)) + extract(epoch from now() - make_interval(secs => g)) / 45000.0, now()
       FROM generate_series(1, $1) g""",
]


@dataclass
class Catalogue:
    items: int
    database: str
    url: str
    prefix: str
    viewer_token: str
    rebuild_s: float


async def build_catalogue(items: int) -> Catalogue:
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
    owner_prefix = f"bench{tag}creator"[:24]
    async with sessions() as session:
        await seed(session)
        viewer = await accounts.create_staff_user(
            session,
            username=f"viewer-{tag}",
            password=secrets.token_urlsafe(16),
            display_name="观众",
            roles=["viewer"],
            disciplines=[],
        )
        await session.commit()
    conn = await asyncpg.connect(url)
    for i in range(CREATORS):
        creator_id = f"{owner_prefix}{i:02d}"
        await conn.execute(
            'INSERT INTO "user" (id, display_name, roles, disciplines, is_active, created_at) '
            "VALUES ($1, $2, '[\"creator\"]', '[]', true, now())",
            creator_id,
            f"科普作者{i}",
        )
        await conn.execute(
            "INSERT INTO follow (follower_id, creator_id, created_at) VALUES ($1, $2, now())",
            viewer.id,
            creator_id,
        )
    started = time.perf_counter()
    for sql in SEED_SQL:
        await conn.execute(sql, *((items, owner_prefix) if "$2" in sql else (items,)))
    await conn.execute("ANALYZE")
    await conn.close()
    print(f"  {items} items inserted in {time.perf_counter() - started:.1f} s", flush=True)
    prefix = f"kepu-bench-{tag}"
    redis = make_client(REDIS)
    started = time.perf_counter()
    async with sessions() as session:
        await feeds.rebuild(session, redis, feeds.FeedKeys(prefix))
    rebuild_s = time.perf_counter() - started
    print(f"  feeds rebuilt in Redis in {rebuild_s:.1f} s", flush=True)
    await redis.aclose()
    await engine.dispose()
    return Catalogue(items, name, url, prefix, issue_token(viewer.id, JWT, 3600), rebuild_s)


async def drop_catalogue(cat: Catalogue) -> None:
    redis = make_client(REDIS)
    keys = [k async for k in redis.scan_iter(match=f"{cat.prefix}:*", count=1000)]
    for i in range(0, len(keys), 1000):
        await redis.unlink(*keys[i : i + 1000])  # freed in the background: a big DEL blocks
    await redis.aclose()
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'DROP DATABASE IF EXISTS "{cat.database}" WITH (FORCE)')
    await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(
    cat: Catalogue, data_dir: str, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`kepu serve --no-workers` on the catalogue; ``extra`` settings (KEPU_…) on top."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env.update(
        KEPU_MODE="production",
        KEPU_JWT_SECRET=JWT,
        KEPU_DATA_DIR=data_dir,
        KEPU_DATABASE_URL=cat.url,
        KEPU_REDIS_URL=REDIS,
        KEPU_REDIS_PREFIX=cat.prefix,
        KEPU_QUEUE_NAME=cat.prefix,
        KEPU_LOG_LEVEL="WARNING",
        KEPU_BENCHMARK_ROUTES="true",
    )
    env.update(extra or {})
    kepu = str(Path(sys.executable).parent / "kepu")
    proc = subprocess.Popen(
        [kepu, "serve", "--no-workers", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float  # the server's CPU time per request: what the machine's other load cannot skew


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise SystemExit(f"cannot read wrk's latency {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(pid: int, url: str, duration: int, connections: int, token: str | None = None) -> Result:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    cpu = cpu_seconds(pid)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The latency distribution's own lines (a "+/- Stdev" column may also end in "50%").
    # (wrk pads a latency in seconds with a trailing space)
    p50 = re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M).group(1)  # type: ignore[union-attr]
    if "Non-2xx" in out:
        raise SystemExit(f"errors from {url}:\n{out}")
    return Result(rps, _ms(p50), _ms(p99), cpu / max(requests, 1) * 1e6)


def start_bare_app(size_or_body: int | bytes) -> tuple[subprocess.Popen[bytes], str]:
    """`bare_app.py` serving ``size`` bytes, or exactly ``body``."""
    port = free_port()
    script = str(Path(__file__).with_name("bare_app.py"))
    if isinstance(size_or_body, bytes):
        with tempfile.NamedTemporaryFile(prefix="kepu-bench-body-", delete=False) as file:
            file.write(size_or_body)  # read once at the app's start; left in /tmp, small
        arg, size = f"@{file.name}", len(size_or_body)
    else:
        arg, size = str(size_or_body), size_or_body
    proc = subprocess.Popen(
        [sys.executable, script, str(port), arg],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/page"
    for _ in range(300):
        try:
            if len(httpx.get(url).content) == size:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the one-route app did not start")


def measure(cat: Catalogue, runs: int, duration: int, connections: int) -> dict[str, Result]:
    data_dir = tempfile.mkdtemp(prefix="kepu-bench-")
    proc, base = start_server(cat, data_dir)
    bare_proc: subprocess.Popen[bytes] | None = None
    try:
        api = f"{base}/api/v1"
        pages = {
            "latest": (f"{api}/feed", None),
            "latest topic": (f"{api}/feed?topic=health", None),
            "hot": (f"{api}/feed?tab=hot", None),
            "following": (f"{api}/feed?tab=following", cat.viewer_token),
        }
        sizes, latest = {}, b""
        for name, (url, token) in pages.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            resp = httpx.get(url, headers=headers)
            resp.raise_for_status()
            assert len(resp.json()["items"]) == 20, name
            sizes[name] = len(resp.content)
            latest = latest or resp.content
        bare_proc, bare_url = start_bare_app(latest)  # the page's own bytes
        targets = {
            "bare": (bare_url, None, bare_proc.pid),
            "in-app bare": (f"{api}/_bench/bare/{sizes['latest']}", None, proc.pid),
            **{name: (url, token, proc.pid) for name, (url, token) in pages.items()},
        }
        rounds: dict[str, list[Result]] = {name: [] for name in targets}
        for _ in range(runs):
            for name, (url, token, pid) in targets.items():
                rounds[name].append(wrk(pid, url, duration, connections, token))
        print(f"  page of 20 cards: {sizes['latest']} bytes", flush=True)
        return {
            name: Result(
                statistics.median(r.rps for r in results),
                statistics.median(r.p50_ms for r in results),
                statistics.median(r.p99_ms for r in results),
                statistics.median(r.cpu_us for r in results),
            )
            for name, results in rounds.items()
        }
    finally:
        for server in (proc, bare_proc):
            if server is not None:
                server.terminate()
                server.wait(15)
        shutil.rmtree(data_dir, ignore_errors=True)


def report(items: int, res: dict[str, Result], args: argparse.Namespace) -> bool:
    bare = res["bare"].rps
    print(f"\n{items} items (median of {args.runs} runs, wrk -t2 -c{args.connections} "
          f"-d{args.duration}s)")  # fmt: skip
    print(f"  {'route':<14}{'rps':>8}{'p50 ms':>9}{'p99 ms':>9}{'x bare':>8}"
          f"{'cpu us/req':>12}{'x bare':>8}")  # fmt: skip
    for name, r in res.items():
        cpu_ratio = res["bare"].cpu_us / r.cpu_us
        print(f"  {name:<14}{r.rps:>8.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
              f"{r.rps / bare:>8.2f}{r.cpu_us:>12.0f}{cpu_ratio:>8.2f}")  # fmt: skip
    ratio = res["latest"].rps / bare
    verdict = ratio >= 0.7
    print(f"  latest vs the one-route app: {ratio:.2f}x (target >= 0.7): "
          f"{'PASS' if verdict else 'FAIL'}\n",
          flush=True)  # fmt: skip
    return verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", default="1000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install -y wrk")
        return 2
    sizes = [int(x) for x in args.items.split(",")]
    results: dict[int, dict[str, Result]] = {}
    ok = True
    for items in sizes:
        print(f"catalogue of {items} published items", flush=True)
        cat = asyncio.run(build_catalogue(items))
        try:
            results[items] = measure(cat, args.runs, args.duration, args.connections)
        finally:
            asyncio.run(drop_catalogue(cat))
        ok &= report(items, results[items], args)
    if len(results) >= 2:
        small, large = results[min(results)], results[max(results)]
        # Compare each size's ratio to its own bare route: the machine's load drifts between
        # the two catalogues, a ratio within one round does not.
        flat = (small["latest"].rps / small["bare"].rps) / (large["latest"].rps / large["bare"].rps)
        verdict = flat <= 1.2
        ok &= verdict
        print(f"\nlatest at {min(results)} vs {max(results)} items (each vs its bare route): "
              f"{flat:.2f}x (target <= 1.2): {'PASS' if verdict else 'FAIL'}")  # fmt: skip
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
