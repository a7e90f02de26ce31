"""Search latency on SQLite (FTS5) and PostgreSQL (tsvector), against the feed page of the same
app.

The target (docs/architecture.md): p99 of a two-word query under 50 ms on PostgreSQL at 10^5
published articles. For each engine: a fresh database built by the migrations (PostgreSQL: a
throw-away database on the machine's server; SQLite: a file in a temporary directory), `--items`
published articles inserted in batches (not through the API), indexed by `search.rebuild` —
what `kepu search rebuild` runs, timed and reported — and ANALYZEd (as autovacuum would soon
after such a load: the planner needs the statistics to walk the newest matches). Then the app
itself (`create_app`, Redis with a throw-away key prefix, local-disk storage) answers, in one
process through httpx's ASGI transport, `--queries` two-word searches one after another (after
`--warmup` unmeasured ones), then as many requests for the feed's `latest` page (served from
the page cache once warm): p50 and p99 of each, and the search's as a multiple of the feed
page's on the same app.

The text: articles written from a vocabulary of 208 science words (physics, biology, health,
earth and space, technology) and 40 function words; word i of the vocabulary is drawn with
weight 1/(i+1) (Zipf), sentences of 6-14 words, a title of 3-5 words, a one-sentence summary,
a body of 24-48 sentences (about 550 characters); every article is under one of the 9 topics.
The two words of each query are drawn by the same weights, so common words are asked for most,
as people do. Seeded (`--seed`): runs are comparable.

Run from the repository root: `python benchmarks/search_bench.py [--items 100000]
[--engines postgresql,sqlite]` (PostgreSQL and Redis as in the tests, or KEPU_TEST_PG and
KEPU_TEST_REDIS). Prints PASS or FAIL (the PostgreSQL target) and exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from content import search
from content.kit import TOPICS
from content.models import (
    Content,
    ContentStats,
    ContentStatus,
    ContentTopic,
    ContentType,
    Revision,
    RevisionState,
    User,
)
from content.seed import seed
from infra import db
from infra.clock import utcnow
from infra.settings import Settings

PG_ADMIN = os.environ.get("KEPU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("KEPU_TEST_REDIS", "redis://127.0.0.1:6379/0")
TARGET_P99_MS = 50.0
BATCH = 2000

SCIENCE = (  # noqa: SIM905 (a vocabulary reads best as text)
    "量子 纠缠 光子 电子 原子 分子 引力 黑洞 恒星 行星 星系 宇宙 暗物质 "
    "暗能量 相对论 磁场 电场 超导 半导体 芯片 激光 光谱 辐射 能量 温度 压力 "
    "密度 速度 加速度 动量 细胞 基因 蛋白质 病毒 细菌 疫苗 抗体 免疫 感染 "
    "病毒株 变异 进化 物种 生态 森林 海洋 珊瑚礁 冰川 气候 变暖 碳排放 碳中和 "
    "光合作用 叶绿素 植物 动物 昆虫 鸟类 鱼类 哺乳动物 大脑 神经元 记忆 睡眠 "
    "心脏 血管 血压 血糖 糖尿病 高血压 肿瘤 癌症 化疗 药物 抗生素 营养 维生素 "
    "蛋白 脂肪 碳水化合物 膳食 运动 肥胖 肌肉 骨骼 关节 视力 听力 皮肤 牙齿 "
    "流感 肺炎 咳嗽 发烧 过敏 哮喘 口罩 消毒 洗手 通风 体检 筛查 诊断 治疗 "
    "康复 预防 地震 火山 台风 暴雨 洪水 干旱 雷电 地震波 板块 岩浆 地壳 地幔 "
    "大气 臭氧 雾霾 颗粒物 火箭 卫星 空间站 探测器 月球 火星 太阳 日食 月食 "
    "彗星 流星 望远镜 天文台 轨道 航天员 人工智能 机器学习 算法 数据 网络 "
    "计算机 机器人 传感器 电池 锂电池 新能源 太阳能 风能 核能 核聚变 氢能 "
    "电动汽车 充电 电网 互联网 5G 通信 信号 编码 密码 隐私 安全 食品 添加剂 "
    "防腐剂 农药 转基因 杂交水稻 粮食 土壤 化肥 灌溉 水资源 污染 垃圾分类 回收 "
    "实验 观察 测量 假说 理论 证据 数据集 模型 统计 概率 误差 样本 对照组 "
    "双盲 论文 科学家 研究 发现 发明 技术 工程 原理 规律 现象 结构 功能 系统 "
    "过程 方法 结果 "
).split()
FUNCTION = (  # noqa: SIM905 (a vocabulary reads best as text)
    "的 是 在 和 了 也 都 就 会 能 可以 因为 所以 但是 如果 这 那 一种 "
    "一个 我们 他们 通过 对于 由于 非常 更 最 已经 正在 没有 不是 还是 以及 "
    "其中 之后 之前 同时 就是 而 与 "
).split()


def _weights(n: int) -> list[float]:
    return [1.0 / (i + 1) for i in range(n)]


class Writer:
    """Chinese science text from the vocabulary, drawn by Zipf weights."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.science_w = _weights(len(SCIENCE))
        self.function_w = _weights(len(FUNCTION))

    def words(self, k: int) -> list[str]:
        return self.rng.choices(SCIENCE, self.science_w, k=k)

    def sentence(self) -> str:
        out = []
        for _ in range(self.rng.randint(6, 14)):
            pick = self.rng.random() < 0.6
            out.append(self.words(1)[0] if pick else self.rng.choices(FUNCTION, self.function_w)[0])
        return "".join(out) + self.rng.choice("。。。，！？")

    def article(self) -> tuple[str, str, str]:
        title = "".join(self.words(self.rng.randint(3, 5)))
        body = "".join(self.sentence() for _ in range(self.rng.randint(24, 48)))
        return title, self.sentence(), body


async def fill(url: str, items: int, seed_value: int) -> float:
    """Insert ``items`` published articles and index them; returns the rebuild's seconds."""
    await asyncio.to_thread(db.upgrade, url)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    rng = random.Random(seed_value)
    writer = Writer(rng)
    topics = [slug for slug, _ in TOPICS]
    now = utcnow()
    async with sessions() as session:
        await seed(session)
        author = User(display_name="科普作者", roles=["creator"], disciplines=[])
        session.add(author)
        await session.commit()
        author_id = author.id
    made = 0
    while made < items:
        n = min(BATCH, items - made)
        contents, revisions, links, stats = [], [], [], []
        for i in range(made, made + n):
            cid, rid = f"c{i:025d}", f"r{i:025d}"
            title, summary, body = writer.article()
            topic = rng.choice(topics)
            published = now - timedelta(seconds=i)
            contents.append(dict(id=cid, type=ContentType.article, owner_id=author_id,
                                 status=ContentStatus.published, working_revision_id=rid,
                                 live_revision_id=rid, published_at=published,
                                 created_at=published, updated_at=published))  # fmt: skip
            revisions.append(dict(id=rid, content_id=cid, number=1, author_id=author_id,
                                  state=RevisionState.published, title=title, summary=summary,
                                  body=body, topics=[topic], audiences=["public"],
                                  discipline="physics", references=[], findings=[],
                                  created_at=published, updated_at=published))  # fmt: skip
            links.append(dict(content_id=cid, topic_slug=topic))
            stats.append(dict(content_id=cid, hot_score=0.0, updated_at=published))
        async with sessions() as session:
            for model, rows in ((Content, contents), (Revision, revisions),
                                (ContentTopic, links), (ContentStats, stats)):  # fmt: skip
                await session.execute(sa.insert(model), rows)
            await session.commit()
        made += n
        print(f"  inserted {made}/{items}", end="\r", flush=True)
    print()
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 5 or done == total:
            last[0] = time.perf_counter()
            print(f"  indexed {done}/{total}", end="\r", flush=True)

    await search.rebuild(sessions, progress)
    print()
    rebuild_s = time.perf_counter() - started
    async with engine.connect() as conn:  # as autovacuum would, soon after a bulk load
        await conn.execute(sa.text("ANALYZE"))
        await conn.commit()
    await engine.dispose()
    return rebuild_s


@asynccontextmanager
async def database(engine_name: str) -> AsyncIterator[str]:
    if engine_name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kepu-search-bench-") as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/kepu.sqlite3"
        return
    name = f"kepu_search_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield (
            PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            + "/"
            + name
        )
    finally:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def _timed(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> float:
    started = time.perf_counter()
    answer = await client.get(path, params=params)
    spent = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, answer.text
    return spent


async def measure(url: str, args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(args.seed + 1)
    writer = Writer(rng)
    queries = [" ".join(writer.words(2)) for _ in range(args.queries + args.warmup)]
    with tempfile.TemporaryDirectory(prefix="kepu-search-bench-data-") as data_dir:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            mode="dev",
            data_dir=Path(data_dir),
            database_url=url,
            redis_url=REDIS,
            redis_prefix=f"kepu-search-bench-{secrets.token_hex(4)}",
            queue_name=f"kepu-search-bench-{secrets.token_hex(4)}",
            run_embedded_worker=False,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                found = []
                for q in queries[: args.warmup]:
                    await _timed(client, "/api/v1/search", {"q": q})
                search_ms = []
                for q in queries[args.warmup :]:
                    search_ms.append(await _timed(client, "/api/v1/search", {"q": q}))
                    found.append(
                        len((await client.get("/api/v1/search", params={"q": q})).json()["items"])
                    )
                feed_ms = []
                for i in range(args.queries + args.warmup):
                    spent = await _timed(client, "/api/v1/feed", {})
                    if i >= args.warmup:
                        feed_ms.append(spent)
    return {
        "search_p50": statistics.median(search_ms),
        "search_p99": _pct(search_ms, 0.99),
        "feed_p50": statistics.median(feed_ms),
        "feed_p99": _pct(feed_ms, 0.99),
        "full_pages": sum(1 for n in found if n == 20) / len(found),
        "empty": sum(1 for n in found if n == 0) / len(found),
    }


async def main() -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    verdict = True
    for engine_name in args.engines.split(","):
        print(f"{engine_name}: {args.items} published articles")
        async with database(engine_name) as url:
            rebuild_s = await fill(url, args.items, args.seed)
            result = await measure(url, args)
        print(
            f"{engine_name}: rebuild {rebuild_s:.1f} s ({args.items / rebuild_s:.0f}/s); "
            f"search p50 {result['search_p50']:.1f} ms, p99 {result['search_p99']:.1f} ms; "
            f"feed page p50 {result['feed_p50']:.2f} ms, p99 {result['feed_p99']:.2f} ms; "
            f"search/feed p50 {result['search_p50'] / result['feed_p50']:.1f}x, "
            f"p99 {result['search_p99'] / result['feed_p99']:.1f}x; "
            f"queries with a full page {result['full_pages']:.0%}, with none {result['empty']:.0%}"
        )
        if engine_name == "postgresql":
            ok = result["search_p99"] < TARGET_P99_MS
            verdict = verdict and ok
            print(f"{'PASS' if ok else 'FAIL'}: PostgreSQL p99 {result['search_p99']:.1f} ms "
                  f"(target < {TARGET_P99_MS:.0f} ms at {args.items} items)")  # fmt: skip
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
