"""The cost per request of cached pages: a signed-out `latest` feed page and a content detail,
each against a one-route FastAPI app returning exactly the same bytes (`bare_app.py`, under the
uvicorn settings `kepu serve` uses), on the embedded SQLite defaults and on PostgreSQL + Redis.

Target: each page at 0.7x or more of its one-route app's requests per second.

For each engine: 10^3 published articles (PostgreSQL: feed_throughput.py's catalogue, built with
`INSERT … SELECT`; SQLite: the same rows through the ORM into a fresh data directory, migrated
by `kepu db upgrade`, the embedded Valkey started by the server), `kepu serve --no-workers`,
`kepu feeds rebuild`, each page fetched once to warm it; then `wrk -t2 -c32` on the one-route
app with the feed page's bytes, the feed page, the one-route app with the detail's bytes, the
detail, `--runs` rounds alternating; medians of rps, p50, p99 and the server's CPU µs/request.

`--before DIR` serves the same catalogue with another checkout too (e.g.
`git archive <commit> | tar -x -C DIR`) and measures it in the same rounds. `--processes`
measures, on PostgreSQL, the feed page from `uvicorn --workers 1` against `--workers 2`.
`--profile DIR` records py-spy flame graphs (SVG) of the server under each page's load.

Run from the repository root: `python benchmarks/page_cost.py [--engines sqlite,postgres]`
(needs wrk; PostgreSQL and Redis as in the tests, or KEPU_TEST_PG and KEPU_TEST_REDIS).
Prints the load average, PASS or FAIL, and exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feed_throughput import (  # type: ignore[import-not-found]
    REDIS,
    Catalogue,
    Result,
    build_catalogue,
    drop_catalogue,
    free_port,
    start_bare_app,
    wrk,
)

from content.models import (
    Content,
    ContentAudience,
    ContentStats,
    ContentStatus,
    ContentTopic,
    ContentType,
    Revision,
    RevisionState,
    Role,
    User,
)
from content.seed import seed
from infra import db
from infra.clock import utcnow

ITEMS = 1000
KEPU = str(Path(sys.executable).parent / "kepu")
Server = tuple[subprocess.Popen[bytes], str]


def _env(extra: dict[str, str], pythonpath: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env.update(KEPU_LOG_LEVEL="WARNING", **extra)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    subprocess.run(command, env=env, check=True, capture_output=True)


def _wait(proc: subprocess.Popen[bytes], base: str) -> Server:
    for _ in range(600):
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/readyz").status_code == 200:
                return proc, base
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server at {base} did not start")


def serve(env: dict[str, str], workers: int | None = None) -> Server:
    """`kepu serve --no-workers`, or with ``workers`` `uvicorn --workers N` (several processes
    on one port, as tests/processes.py starts them)."""
    port = free_port()
    if workers is None:
        command = [KEPU, "serve", "--no-workers", "--port", str(port)]
    else:
        env = dict(env, KEPU_RUN_EMBEDDED_WORKER="false")
        command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port",
                   str(port), "--workers", str(workers), "--no-proxy-headers"]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _wait(proc, f"http://127.0.0.1:{port}")


async def _sqlite_rows(url: str, items: int) -> None:
    """The catalogue of feed_throughput.py, through the ORM: 20 creators, ``items`` articles."""
    engine = db.make_engine(url)
    now = utcnow()
    async with db.make_sessionmaker(engine)() as session:
        await seed(session)
        creators = [
            User(display_name=f"科普作者{i}", roles=[Role.creator], disciplines=[])
            for i in range(20)
        ]
        session.add_all(creators)
        await session.flush()
        for g in range(1, items + 1):
            published = now - timedelta(seconds=g)
            content = Content(
                type=ContentType.article,
                owner_id=creators[g % 20].id,
                status=ContentStatus.published,
                published_at=published,
            )
            revision = Revision(
                content_id=content.id,
                number=1,
                author_id=content.owner_id,
                state=RevisionState.published,
                title=f"科普文章第{g}篇：冬季如何科学预防流感",
                summary="接种疫苗、勤洗手、多通风，远离流感。",
                body="正文",
                topics=["health"],
                audiences=["elderly"],
                discipline="medicine",
            )
            content.working_revision_id = content.live_revision_id = revision.id
            session.add_all([content, revision])
            session.add_all(
                [
                    ContentTopic(content_id=content.id, topic_slug="health"),
                    ContentAudience(content_id=content.id, audience_slug="elderly"),
                    ContentStats(
                        content_id=content.id,
                        likes=g % 37,
                        views=g % 1000,
                        hot_score=published.timestamp() / 45000,
                    ),
                ]
            )
        await session.commit()
    await engine.dispose()


@contextlib.contextmanager
def sqlite_servers(befores: list[str | None]) -> Iterator[list[Server]]:
    """One server per checkout (None: this one), each on its own copy of an embedded data
    directory: SQLite file, bundled Valkey, dev mode."""
    root = Path(tempfile.mkdtemp(prefix="kepu-bench-sqlite-"))
    first = root / "0"
    env = _env({"KEPU_DATA_DIR": str(first)}, None)
    try:
        _run([KEPU, "db", "upgrade"], env)
        asyncio.run(_sqlite_rows(f"sqlite+aiosqlite:///{first / 'kepu.sqlite3'}", ITEMS))
        servers = []
        for i, checkout in enumerate(befores):
            data = root / str(i)
            if i:
                shutil.copytree(first, data, ignore=shutil.ignore_patterns("valkey*"))
            env = _env({"KEPU_DATA_DIR": str(data)}, checkout)
            servers.append(serve(env))
            _run([KEPU, "feeds", "rebuild"], env)  # joins the server's Valkey
        yield servers
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _pg_env(cat: Catalogue, data_dir: str, checkout: str | None) -> dict[str, str]:
    jwt = "bench-" + "x" * 48
    return _env(
        {
            "KEPU_MODE": "production",
            "KEPU_JWT_SECRET": jwt,
            "KEPU_DATA_DIR": data_dir,
            "KEPU_DATABASE_URL": cat.url,
            "KEPU_REDIS_URL": REDIS,
            "KEPU_REDIS_PREFIX": cat.prefix,
            "KEPU_QUEUE_NAME": cat.prefix,
        },
        checkout,
    )


@contextlib.contextmanager
def postgres_catalogue() -> Iterator[Catalogue]:
    cat = asyncio.run(build_catalogue(ITEMS))
    try:
        yield cat
    finally:
        asyncio.run(drop_catalogue(cat))


@contextlib.contextmanager
def stopping(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        yield servers
    finally:
        for proc, _ in servers:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
            if proc.poll() is None:
                proc.kill()


def _pages(base: str) -> dict[str, tuple[str, bytes]]:
    """The URL and bytes of each page, fetched twice (the second from the cache)."""
    feed = f"{base}/api/v1/feed"
    first = httpx.get(feed)
    first.raise_for_status()
    assert len(first.json()["items"]) == 20
    detail = f"{base}/api/v1/contents/{first.json()['items'][0]['id']}"
    pages = {}
    for name, url in (("latest", feed), ("detail", detail)):
        resp = httpx.get(url)
        resp.raise_for_status()
        pages[name] = (url, httpx.get(url).content)
    return pages


def _median(results: list[Result]) -> Result:
    fields = zip(*((r.rps, r.p50_ms, r.p99_ms, r.cpu_us) for r in results), strict=True)
    return Result(*(statistics.median(f) for f in fields))


def measure(
    engine: str, servers: list[Server], labels: list[str], args: argparse.Namespace
) -> dict[str, Result]:
    """Alternating rounds over each page of each server and its one-route app."""
    pages = _pages(servers[0][1])
    bares = {name: start_bare_app(body) for name, (_, body) in pages.items()}
    targets: dict[str, tuple[str, int]] = {}
    for name in pages:
        targets[f"one-route app ({name})"] = (bares[name][1], bares[name][0].pid)
        for (proc, base), label in zip(servers, labels, strict=True):
            url = pages[name][0].replace(servers[0][1], base)
            assert httpx.get(url).content == pages[name][1], f"{label} {name}: other bytes"
            targets[f"{label}{name}"] = (url, proc.pid)
    try:
        rounds: dict[str, list[Result]] = {t: [] for t in targets}
        for _ in range(args.runs):
            for target, (url, pid) in targets.items():
                rounds[target].append(wrk(pid, url, args.duration, args.connections))
        if args.profile:
            for name, (url, _) in pages.items():
                out = Path(args.profile) / f"{engine}-{name}.svg"
                profile(servers[0][0].pid, url, args, out)
                if len(servers) > 1:
                    before = url.replace(servers[0][1], servers[1][1])
                    out = Path(args.profile) / f"{engine}-{name}-before.svg"
                    profile(servers[1][0].pid, before, args, out)
    finally:
        for proc, _ in bares.values():
            proc.terminate()
            proc.wait(15)
    print(f"  bytes: latest {len(pages['latest'][1])}, detail {len(pages['detail'][1])}")
    return {target: _median(results) for target, results in rounds.items()}


def profile(pid: int, url: str, args: argparse.Namespace, out: Path) -> None:
    """A py-spy flame graph of ``pid`` while wrk loads ``url``; the raw stacks beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    load = subprocess.Popen(
        ["wrk", "-t2", f"-c{args.connections}", f"-d{2 * args.duration + 3}s", url],
        stdout=subprocess.DEVNULL,
    )
    try:
        for suffix, fmt in ((".svg", "flamegraph"), (".txt", "raw")):
            subprocess.run(
                ["py-spy", "record", "--pid", str(pid), "--duration", str(args.duration),
                 "--rate", "250", "--nonblocking", "--format", fmt,
                 "--output", str(out.with_suffix(suffix))],
                check=True, capture_output=True,
            )  # fmt: skip
    finally:
        load.wait()


def report(engine: str, res: dict[str, Result], labels: list[str]) -> bool:
    print(f"  {'target':<30}{'rps':>8}{'p50 ms':>9}{'p99 ms':>9}{'x app':>8}{'cpu us/req':>12}")
    ok = True
    for target, r in res.items():
        name = target.rsplit(" ", 1)[-1].strip("()")
        app = res[f"one-route app ({name})"]
        ratio = r.rps / app.rps
        print(f"  {target:<30}{r.rps:>8.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{ratio:>8.2f}"
              f"{r.cpu_us:>12.0f}")  # fmt: skip
        if target in ("latest", "detail"):
            ok &= ratio >= 0.7
    verdict = "PASS" if ok else "FAIL"
    print(f"  {engine}: latest and detail >= 0.7x their one-route app: {verdict}\n", flush=True)
    return ok


def processes(cat: Catalogue, args: argparse.Namespace) -> None:
    """The feed page from one API process against two on this machine's cores."""
    data_dir = tempfile.mkdtemp(prefix="kepu-bench-")
    env = _pg_env(cat, data_dir, None)
    with stopping([serve(env, 1), serve(env, 2)]) as servers:
        urls = [f"{base}/api/v1/feed" for _, base in servers]
        for url in urls:
            for _ in range(20):  # every process of the server warms its own cache
                httpx.get(url).raise_for_status()
        rounds: list[list[float]] = [[], []]
        for _ in range(args.runs):
            for i, ((proc, _), url) in enumerate(zip(servers, urls, strict=True)):
                rounds[i].append(wrk(proc.pid, url, args.duration, args.connections).rps)
    one, two = (statistics.median(r) for r in rounds)
    print(f"  latest, 1 process {one:.0f} rps, 2 processes {two:.0f} rps: {two / one:.2f}x\n")
    shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--before", help="another checkout to measure in the same rounds")
    parser.add_argument("--processes", action="store_true", help="1 against 2 API processes")
    parser.add_argument("--profile", help="a directory for py-spy flame graphs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install -y wrk")
        return 2
    checkouts: list[str | None] = [None] + ([args.before] if args.before else [])
    labels = ["", "before "][: len(checkouts)]
    ok = True
    for engine in args.engines.split(","):
        print(f"{engine}: {ITEMS} published articles; load average {os.getloadavg()[0]:.1f}")
        print(f"  wrk -t2 -c{args.connections} -d{args.duration}s, median of {args.runs} rounds")
        if engine == "sqlite":
            with sqlite_servers(checkouts) as servers, stopping(servers):
                res = measure(engine, servers, labels, args)
        else:
            with postgres_catalogue() as cat:
                dirs = [tempfile.mkdtemp(prefix="kepu-bench-") for _ in checkouts]
                envs = [_pg_env(cat, d, c) for d, c in zip(dirs, checkouts, strict=True)]
                with stopping([serve(env) for env in envs]) as servers:
                    res = measure(engine, servers, labels, args)
                if args.processes:
                    processes(cat, args)
                for d in dirs:
                    shutil.rmtree(d, ignore_errors=True)
        ok &= report(engine, res, labels)
        print(f"  load average after: {os.getloadavg()[0]:.1f}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
