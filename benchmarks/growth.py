"""Growth simulation: how feed reads, the following tab, counters, search and storage cost as the
catalogue grows (docs/growth.md holds the results and the projection beyond them).

For each size in `--sizes` (published items): a throw-away PostgreSQL database on the machine's
server, built by the migrations, filled with `generate_series` straight into the real tables —
users (a tenth of the items, at least 1 000; one in ten a creator), published articles with their
live revisions (titles, summaries and bodies drawn from search_bench's science vocabulary, skewed
toward its first words, kept to words jieba leaves whole, separated by spaces), topics, counters,
`--per-item` interactions per item (contentviewer rows, one person each) capped at
`--max-interactions` in all, a like for every fifth of them, and 20 follows per user — then
the search index, written with the same SQL expression `content/search/engines.write` uses
(word segmentation is skipped: the generated text is already words), then ANALYZE. The feeds
are rebuilt into the machine's Redis under a key prefix of our own by `feeds.rebuild` (deleted
afterwards).

Then the real service functions, each `--rounds` times, the median reported (and, once more, the
statements each sends, EXPLAIN ANALYZEd: their total time inside PostgreSQL and the scans of the
slowest):
- feed: `feeds.page` for the latest tab (order from Redis, cards from the database), and
  `feeds.database.page` for the latest and hot tabs (the fallback while Redis is down);
- following: `feeds.page` on the following tab for a user following 20 creators, and for one
  following every creator (up to the 2 000 a following page merges);
- reactions: `engagement.mine` for a page of 20 items (what every signed-in card needs);
- search: `search.search` with a two-word query;
- flush: `engagement.apply_batch` with 200 view events on 200 items (rolled back each round,
  so every round writes the same);
and the sizes of the tables with their indexes (`pg_total_relation_size`) and of the feeds in
Redis (`MEMORY USAGE` of every key, divided by the entries in them).

Run from the repository root: `python benchmarks/growth.py [--sizes 1000,10000,100000]`
(PostgreSQL and Redis as in the tests, or KEPU_TEST_PG and KEPU_TEST_REDIS). The default takes a
few minutes on a 2-core machine; every size's scratch database and Redis keys are removed.
`--save FILE` keeps the measurements as JSON; `--project-from FILE` projects from them again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import random
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import REDIS, SCIENCE, database

from content import engagement, feeds, search
from content.feeds import database as feed_db
from content.feeds.reading import MAX_FOLLOWED, SLACK
from content.kit import TOPICS
from content.models import User
from content.seed import seed
from infra import db

TABLES = ("content", "revision", "contentstats", "contenttopic", "searchdocument", "user",
          "follow", "contentviewer", "reaction")  # fmt: skip
FOLLOWS_PER_USER = 20
INTERACTIONS_PER_ITEM = 10  # in the projection: 10^8 interactions at 10^7 items
PATHS = ("feed_redis", "feed_db_latest", "feed_db_hot", "following", "following_heavy",
         "reactions", "search", "flush_200")  # fmt: skip

# One statement per table; :n items, :u users, :c creators, :k interactions per item.
# `0 * g` ties a word draw to its row, so PostgreSQL draws it again for every row.
_WORDS = (
    "array_to_string(array(SELECT (CAST(:vocab AS text[]))"
    "[1 + floor(power(random(), 2) * :nv)::int]"
    " FROM generate_series(1, {count} + 0 * g)), '{sep}')"
)
FILL = [
    """INSERT INTO "user" (id, display_name, roles, disciplines, is_active, created_at)
       SELECT 'u' || lpad(g::text, 25, '0'), '读者' || g,
              CASE WHEN g % 10 = 0 THEN '["creator"]' ELSE '[]' END::json, '[]'::json, true, now()
       FROM generate_series(0, :u - 1) g""",
    """INSERT INTO content (id, type, owner_id, status, working_revision_id, live_revision_id,
              published_at, comments_enabled, created_at, updated_at)
       SELECT 'c' || lpad(g::text, 25, '0'), 'article',
              'u' || lpad(((g % :c) * 10)::text, 25, '0'), 'published',
              'r' || lpad(g::text, 25, '0'), 'r' || lpad(g::text, 25, '0'),
              now() - g * interval '37 seconds', true, now(), now()
       FROM generate_series(0, :n - 1) g""",
    f"""INSERT INTO revision (id, content_id, number, author_id, state, title, summary, body,
              topics, audiences, discipline, "references", findings, created_at, updated_at)
       SELECT 'r' || lpad(g::text, 25, '0'), 'c' || lpad(g::text, 25, '0'), 1,
              'u' || lpad(((g % :c) * 10)::text, 25, '0'), 'published',
              {_WORDS.format(count=4, sep=" ")}, {_WORDS.format(count=12, sep=" ")},
              {_WORDS.format(count=80, sep=" ")},
              json_build_array((CAST(:topics AS text[]))[1 + g % :nt]), '["public"]'::json,
              'physics', '[]'::json, '[]'::json, now(), now()
       FROM generate_series(0, :n - 1) g""",  # noqa: S608 (constant text)
    """INSERT INTO contenttopic (content_id, topic_slug)
       SELECT 'c' || lpad(g::text, 25, '0'), (CAST(:topics AS text[]))[1 + g % :nt]
       FROM generate_series(0, :n - 1) g""",
    """INSERT INTO contentstats (content_id, views, viewers, likes, favorites, comments,
              shares, completions, watched_s, hot_score, updated_at)
       SELECT 'c' || lpad(g::text, 25, '0'), CAST(:k AS int), CAST(:k AS int),
              CAST(:k AS int) / 5, 0, 0, 0, 0, 0, random() * 100, now()
       FROM generate_series(0, :n - 1) g""",
    """INSERT INTO follow (follower_id, creator_id, created_at)
       SELECT 'u' || lpad(f::text, 25, '0'),
              'u' || lpad((((f * 7 + i * 13) % :c) * 10)::text, 25, '0'), now()
       FROM generate_series(0, :u - 1) f,
            generate_series(1, LEAST(CAST(:fpu AS int), CAST(:c AS int))) i
       ON CONFLICT DO NOTHING""",
    # One heavy reader (user 2) follows every creator, up to the most a following page merges.
    """INSERT INTO follow (follower_id, creator_id, created_at)
       SELECT 'u' || lpad('2', 25, '0'), 'u' || lpad((i * 10)::text, 25, '0'), now()
       FROM generate_series(0, LEAST(CAST(:c AS int), :most) - 1) i
       ON CONFLICT DO NOTHING""",
    """INSERT INTO contentviewer (content_id, user_id, views, watched_s, progress, completed,
              window_at, first_at, last_at)
       SELECT 'c' || lpad(g::text, 25, '0'), 'u' || lpad(((g * 7 + i) % :u)::text, 25, '0'),
              1, 30, 0.5, i % 3 = 0, now(), now(), now()
       FROM generate_series(0, :n - 1) g, generate_series(1, CAST(:k AS int)) i""",
    """INSERT INTO reaction (user_id, content_id, kind, created_at)
       SELECT 'u' || lpad(((g * 7 + i) % :u)::text, 25, '0'), 'c' || lpad(g::text, 25, '0'),
              'like', now()
       FROM generate_series(0, :n - 1) g, generate_series(1, CAST(:k AS int) / 5) i""",
    # The index rows as engines.write makes them (its _PG_UPSERT), from the revision's words.
    """INSERT INTO searchdocument (content_id, revision_id, words, head, published_at, indexed_at)
       SELECT c.id, r.id,
              setweight(to_tsvector('simple', r.title), 'A')
              || setweight(to_tsvector('simple', r.summary), 'B')
              || setweight(to_tsvector('simple', r.body), 'C'),
              setweight(to_tsvector('simple', r.title), 'A')
              || setweight(to_tsvector('simple', r.summary), 'B'),
              c.published_at, now()
       FROM content c JOIN revision r ON r.id = c.live_revision_id""",
]


def vocabulary() -> list[str]:
    """search_bench's science words that index and query as themselves, so the SQL-written index
    holds exactly the words `search.search` looks for."""
    return [w for w in SCIENCE if search.index_words(w) == [w] and search.query_words(w) == [w]]


def shape(items: int, args: argparse.Namespace) -> dict[str, int]:
    users = max(1000, items // 10)
    per_item = max(1, min(args.per_item, args.max_interactions // items))
    return {"n": items, "u": users, "c": users // 10, "k": per_item, "fpu": FOLLOWS_PER_USER,
            "most": MAX_FOLLOWED}  # fmt: skip


async def fill(url: str, params: dict[str, Any]) -> float:
    await asyncio.to_thread(db.upgrade, url)
    engine = db.make_engine(url)
    started = time.perf_counter()
    async with db.make_sessionmaker(engine)() as session:
        await seed(session)
        await session.commit()
    async with engine.connect() as conn:
        for statement in tqdm(FILL, desc="  fill", unit="table", leave=False):
            await conn.execute(sa.text(statement), params)
        await conn.commit()
        await conn.execute(sa.text("ANALYZE"))  # as autovacuum would soon after a bulk load
        await conn.commit()
    await engine.dispose()
    return time.perf_counter() - started


async def _median_ms(rounds: int, call: Callable[[], Awaitable[object]]) -> float:
    await call()  # warm the connection and the caches once, unmeasured
    spent = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


def _view_batch(rng: random.Random, p: dict[str, int]) -> list[dict[str, object]]:
    at = time.time()
    return [
        {"k": "view", "c": f"c{rng.randrange(p['n']):025d}", "u": f"u{rng.randrange(p['u']):025d}",
         "e": "progress", "w": 60.0, "p": 0.8, "t": at}
        for _ in range(200)
    ]  # fmt: skip


async def timings(
    engine: AsyncEngine, sessions: Callable[[], AsyncSession], session: AsyncSession,
    redis: aioredis.Redis, keys: feeds.FeedKeys, p: dict[str, int], words: list[str], rounds: int,
) -> dict[str, Any]:  # fmt: skip
    rng = random.Random(7)
    reader, heavy = await session.get(User, f"u{1:025d}"), await session.get(User, f"u{2:025d}")
    assert reader is not None and heavy is not None
    latest, hot, following = feeds.Tab.latest, feeds.Tab.hot, feeds.Tab.following
    ids = [f"c{i:025d}" for i in range(20)]

    async def flush() -> None:  # what one flush transaction does, undone so rounds match
        async with sessions() as own:
            await engagement.apply_batch(own, None, _view_batch(rng, p))
            await own.rollback()

    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "feed_redis": lambda: feeds.page(session, redis, keys, feeds.FeedQuery(latest)),
        "feed_db_latest": lambda: feed_db.page(session, latest, topic=None, audience=None,
                                               after=None, limit=20),
        "feed_db_hot": lambda: feed_db.page(session, hot, topic=None, audience=None,
                                            after=None, limit=20),
        "following": lambda: feeds.page(session, redis, keys,
                                        feeds.FeedQuery(following, user_id=reader.id)),
        "following_heavy": lambda: feeds.page(session, redis, keys,
                                              feeds.FeedQuery(following, user_id=heavy.id)),
        "reactions": lambda: engagement.mine(session, reader, ids),
        "search": lambda: search.search(session, " ".join(rng.sample(words[:30], 2))),
        "flush_200": flush,
    }  # fmt: skip
    out: dict[str, Any] = {name: await _median_ms(rounds, call) for name, call in calls.items()}
    for name, call in calls.items():
        out[f"{name}_plan"] = await explained(engine, call)
    return out


def _scans(node: dict[str, Any]) -> list[str]:
    """The plan's scans, e.g. 'Index Scan on content (ix_content_published_at)'."""
    found = []
    if "Scan" in node["Node Type"] and "Relation Name" in node:
        index = f" ({node['Index Name']})" if "Index Name" in node else ""
        found.append(f"{node['Node Type']} on {node['Relation Name']}{index}")
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


async def explained(engine: AsyncEngine, call: Callable[[], Awaitable[object]]) -> dict[str, Any]:
    """Run ``call`` once, catching the statements it sends, then EXPLAIN ANALYZE each (in a
    transaction rolled back, so writes leave nothing): their executions' total ms, how many there
    were, and the scans of the slowest."""
    sent: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:  # fmt: skip
        if not executemany and statement.lstrip().upper().startswith(
            ("SELECT", "INSERT", "UPDATE", "WITH")
        ):
            sent.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", catch)
    try:
        await call()
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", catch)
    total, slowest, scans = 0.0, -1.0, []
    async with engine.connect() as conn:
        for statement, parameters in sent:
            async with conn.begin() as tx:
                result = await conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
                )
                raw = result.scalar_one()
                await tx.rollback()
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            spent = float(plan["Execution Time"]) + float(plan.get("Planning Time", 0.0))
            total += spent
            if spent > slowest:
                slowest, scans = spent, _scans(plan["Plan"])
    return {"ms": total, "statements": len(sent), "scans": scans}


async def table_bytes(session: AsyncSession) -> dict[str, int]:
    out = {}
    for table in TABLES:
        size = await session.exec(select(sa.func.pg_total_relation_size(f'"{table}"')))
        out[table] = int(size.one())
    return out


async def redis_bytes(redis: aioredis.Redis, prefix: str) -> tuple[int, int]:
    """Bytes the feeds take in Redis and the entries they hold."""
    used = entries = 0
    async for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
        used += int(await redis.memory_usage(key, samples=0) or 0)
        if await redis.type(key) == "zset":
            entries += int(await redis.zcard(key))
    return used, entries


async def one_size(items: int, args: argparse.Namespace, words: list[str]) -> dict[str, Any]:
    params = shape(items, args) | {"vocab": words, "nv": len(words),
                                   "topics": [s for s, _ in TOPICS], "nt": len(TOPICS)}  # fmt: skip
    prefix = f"kepu-growth-{secrets.token_hex(4)}"
    redis = aioredis.from_url(REDIS, decode_responses=True)
    try:
        async with database("postgresql") as url:
            fill_s = await fill(url, params)
            engine = db.make_engine(url)
            sessions = db.make_sessionmaker(engine)
            keys = feeds.FeedKeys(prefix)
            async with sessions() as session:
                started = time.perf_counter()
                await feeds.rebuild(session, redis, keys)
                rebuild_s = time.perf_counter() - started
                used, entries = await redis_bytes(redis, prefix)
                times = await timings(
                    engine, sessions, session, redis, keys, params, words, args.rounds
                )
                sizes = await table_bytes(session)
            await engine.dispose()
    finally:
        keys_left = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys_left:
            await redis.delete(*keys_left)
        await redis.aclose()
    return {"items": items, **params, "fill_s": fill_s, "rebuild_s": rebuild_s,
            "redis_bytes": used, "redis_entries": entries, **times, "sizes": sizes}  # fmt: skip


def report(row: dict[str, Any]) -> None:
    sizes, mb = row["sizes"], 1024 * 1024
    interactions = row["n"] * row["k"]
    print(
        f"items {row['n']:,}: users {row['u']:,}, interactions {interactions:,} "
        f"({row['k']} per item) + likes {row['n'] * (row['k'] // 5):,}; "
        f"filled in {row['fill_s']:.1f} s, feeds rebuilt into Redis in {row['rebuild_s']:.1f} s"
    )
    print("  median ms: " + ", ".join(f"{name} {row[name]:.2f}" for name in PATHS))
    for name in PATHS:
        plan = row[f"{name}_plan"]
        print(
            f"  {name}: {plan['statements']} statements, {plan['ms']:.2f} ms in PostgreSQL "
            f"(EXPLAIN ANALYZE); slowest scans {'; '.join(plan['scans']) or '-'}"
        )
    print("  MB with indexes: " + ", ".join(f"{t} {sizes[t] / mb:.1f}" for t in TABLES))
    print(
        f"  bytes per row: content+revision+stats+topic "
        f"{sum(sizes[t] for t in TABLES[:4]) / row['n']:.0f}, "
        f"searchdocument {sizes['searchdocument'] / row['n']:.0f}, "
        f"contentviewer {sizes['contentviewer'] / interactions:.0f}"
    )
    print(f"  Redis: {row['redis_bytes'] / mb:.1f} MB for {row['redis_entries']:,} feed entries, "
          f"{row['redis_bytes'] / max(1, row['redis_entries']):.0f} B per entry, "
          f"{row['redis_bytes'] / row['n']:.0f} B per item")  # fmt: skip


def _slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y on log x: the power of the size a time grows with."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum(
        (a - mx) ** 2 for a in lx
    )


def _driver(path: str, row: dict[str, Any]) -> float:
    """What a path's cost follows: the heavy reader's, the timeline entries it merges (each
    creator's, up to a page and its slack, from at most MAX_FOLLOWED creators); every other
    path's, the items."""
    if path != "following_heavy":
        return float(row["n"])
    creators = min(row["c"], row["most"])
    return creators * min(row["n"] / row["c"], 20 + 1 + SLACK)


def project(rows: list[dict[str, Any]], sizes: list[int]) -> None:
    """Beyond the measured sizes: each path's time grows from the largest run as the power of
    its driver (_driver) fitted over all runs (never below flat); storage grows by the bytes per
    row of the largest run, with INTERACTIONS_PER_ITEM interactions (a like for every fifth) per
    item."""
    large = rows[-1]
    growth = {
        name: max(0.0, _slope([_driver(name, r) for r in rows], [r[name] for r in rows]))
        for name in PATHS
    }
    measured = ", ".join(f"{r['n']:,}" for r in rows)
    fitted = ", ".join(f"{name} {b:.2f}" for name, b in growth.items())
    print(f"projected from {measured} items (fitted power of each path's driver: the items, or"
          f" for following_heavy the entries merged): {fitted}")  # fmt: skip
    sizes_of, n = large["sizes"], large["n"]
    per_item = sum(sizes_of[t] for t in ("content", "revision", "contentstats", "contenttopic",
                                          "searchdocument")) / n  # fmt: skip
    per_view = sizes_of["contentviewer"] / (n * large["k"])
    per_like = sizes_of["reaction"] / max(1, n * (large["k"] // 5))
    for size in sizes:
        at = shape(size, argparse.Namespace(per_item=INTERACTIONS_PER_ITEM, max_interactions=0))
        times = ", ".join(
            f"{p} {large[p] * (_driver(p, at) / _driver(p, large)) ** growth[p]:.1f}" for p in PATHS
        )
        views = size * INTERACTIONS_PER_ITEM
        gb = (per_item * size + per_view * views + per_like * views / 5) / 1024**3
        redis_mb = large["redis_bytes"] / n * size / 1024**2
        print(f"  {size:,} items, {views:,} interactions: median ms {times}; PostgreSQL "
              f"{gb:.1f} GB (items {per_item * size / 1024**3:.1f}, interactions "
              f"{per_view * views / 1024**3:.1f}), Redis feeds {redis_mb:,.0f} MB")  # fmt: skip


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="published items per run, comma-separated"
    )
    parser.add_argument("--per-item", type=int, default=100, help="interactions per item")
    parser.add_argument(
        "--max-interactions",
        type=int,
        default=2_000_000,
        help="at most this many in all (fewer per item at the larger sizes)",
    )
    parser.add_argument("--rounds", type=int, default=15, help="timed calls per path")
    parser.add_argument(
        "--project",
        default="1000000,10000000",
        help="sizes to project to from the measured ones",
    )
    parser.add_argument("--save", help="write the measurements to this JSON file")
    parser.add_argument("--project-from", help="only project, from a file --save wrote")
    args = parser.parse_args()  # fmt: skip
    targets = [int(s) for s in args.project.split(",")]
    if args.project_from:  # project again from an earlier run's saved measurements
        rows = json.loads(Path(args.project_from).read_text())
    else:
        rows = asyncio.run(measure_all(args))
        if args.save:
            Path(args.save).write_text(json.dumps(rows, indent=1))
    if len(rows) >= 2:
        project(rows, targets)


async def measure_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    words = vocabulary()
    rows = []
    for items in (int(s) for s in args.sizes.split(",")):
        rows.append(await one_size(items, args, words))
        report(rows[-1])
    return rows


if __name__ == "__main__":
    main()
