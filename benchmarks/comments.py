"""Comments against a real `kepu serve --no-workers` on PostgreSQL and Redis: posting (screening
in the request included) and the cached list page.

The targets (docs/architecture.md, docs/comments.md): posting a comment answers within 50 ms at
the 99th percentile; a warm comment page is served like a feed page, reported as a ratio of the
requests per second of `bare_app.py` (a one-route FastAPI app under the same uvicorn settings
serving a constant body of the page's size).

What it does: the catalogue of feed_throughput.py (a fresh PostgreSQL database by the migrations,
`--items` published articles, the feeds rebuilt in a throw-away Redis prefix), then `kepu serve
--no-workers` with the comment and interaction limits raised out of the way. Posting: `--posts`
comments, one after another on one keep-alive connection (latency, not throughput), by one
viewer on one article, texts of 20–80 Chinese characters cycling through a set in which one in
ten carries an absolute health claim (screening holds it: the full path, a warning written with
its findings) — timed on the client from request to response, default dictionary and the 71
default rumors loaded; repeated `--runs` times, the median of each run's p50 and p99 reported,
beside the same for a like/unlike (the same counter update and feed sync, no screening) and the
in-app bare route (the server's and the machine's floor), run alternately.
The list: the article's first page of 20 comments (each with up to 3 replies) warmed once, then
`wrk --latency` against it and against `bare_app.py` serving as many bytes, `--runs` times
alternating, with the `latest` feed page of the same server for comparison; medians of rps,
p50, p99 and the server's CPU time per request.

Run from the repository root: `python benchmarks/comments.py` (needs wrk). Prints PASS or FAIL
and exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feed_throughput import (  # type: ignore[import-not-found]
    build_catalogue,
    drop_catalogue,
    start_bare_app,
    start_server,
    wrk,
)

TEXTS = [
    "讲得很清楚，原来流感疫苗每年都要重新接种，因为流行的毒株在变。",
    "请问老人和孩子哪个先打疫苗比较好？社区医院可以预约吗？",
    "勤洗手真的很重要，我家孩子今年冬天一次都没感冒。",
    "这个偏方包治百病，大家快试试",  # a health claim: held for an operator
    "转发给爸妈看看，他们总觉得感冒扛一扛就过去了。",
    "通风每天几次合适？冬天开窗太冷了，有没有折中的办法？",
    "作者能不能再讲讲流感和普通感冒怎么区分，症状很像。",
    "收藏了，谢谢科普！图也画得很直观。",
    "打完疫苗胳膊有点酸，是正常反应吗？一般几天能好？",
    "希望多出一些给老年人看的视频，字大一点更好。",
]
ARTICLE = "c" + "1".rjust(25, "0")


def post_run(base: str, token: str, posts: int) -> tuple[float, float, int]:
    """p50 and p99 in ms of ``posts`` comments posted one after another, and how many held."""
    url = f"{base}/api/v1/contents/{ARTICLE}/comments"
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    held = 0
    with httpx.Client(headers=headers, timeout=10) as client:
        for i in range(posts):
            body = {"body": f"{TEXTS[i % len(TEXTS)]}（第{i}条）"}
            started = time.perf_counter()
            resp = client.post(url, json=body)
            times.append((time.perf_counter() - started) * 1000)
            if resp.status_code != 201:
                raise SystemExit(f"posting failed: {resp.status_code} {resp.text}")
            held += resp.json()["status"] == "held"
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[98], held


def floor_run(url: str, token: str, n: int, method: str = "GET") -> tuple[float, float]:
    """p50 and p99 in ms of ``n`` requests one after another: what the same server and the
    machine's load cost a request that does (almost) nothing, or a like (the same counters)."""
    times: list[float] = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        for i in range(n):
            verb = method if method == "GET" else ("POST" if i % 2 == 0 else "DELETE")
            started = time.perf_counter()
            client.request(verb, url).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[98]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install -y wrk")
        return 2
    cat = asyncio.run(build_catalogue(args.items))
    data_dir = tempfile.mkdtemp(prefix="kepu-bench-")
    limits = {
        "KEPU_COMMENTS_PER_MINUTE": "1000000",
        "KEPU_COMMENTS_PER_DAY": "1000000",
        "KEPU_INTERACTIONS_PER_MINUTE": "1000000",
        "KEPU_INTERACTIONS_PER_MINUTE_PER_ADDRESS": "1000000",
        "KEPU_BENCHMARK_ROUTES": "true",
    }
    proc, base = start_server(cat, data_dir, limits)
    bare_proc = None
    try:
        post_run(base, cat.viewer_token, 20)  # warm: the screener built, connections open
        bare_get = f"{base}/api/v1/_bench/bare/100"
        like = f"{base}/api/v1/contents/{ARTICLE}/like"
        runs, floors, likes = [], [], []
        for _ in range(args.runs):  # alternating, so the machine's load drifts over all three
            floors.append(floor_run(bare_get, cat.viewer_token, args.posts))
            likes.append(floor_run(like, cat.viewer_token, args.posts, "POST"))
            runs.append(post_run(base, cat.viewer_token, args.posts))
        p50 = statistics.median(r[0] for r in runs)
        p99 = statistics.median(r[1] for r in runs)
        held = sum(r[2] for r in runs)
        floor = [statistics.median(r[i] for r in floors) for i in (0, 1)]
        liking = [statistics.median(r[i] for r in likes) for i in (0, 1)]
        # Some replies, so the page shows threads as readers see them.
        page_url = f"{base}/api/v1/contents/{ARTICLE}/comments"
        first = httpx.get(page_url).json()["items"]
        with httpx.Client(headers={"Authorization": f"Bearer {cat.viewer_token}"}) as client:
            for top in first[:10]:
                for j in range(4):
                    reply = {"body": f"同意，补充一点：{j}", "reply_to": top["id"]}
                    client.post(page_url, json=reply).raise_for_status()
        page = httpx.get(page_url)
        page.raise_for_status()
        size = len(page.content)
        bare_proc, bare_url = start_bare_app(size)
        targets = {
            "bare": (bare_url, bare_proc.pid),
            "comments": (page_url, proc.pid),
            "feed": (f"{base}/api/v1/feed", proc.pid),  # the feed page, on the same server
        }
        rounds: dict[str, list] = {name: [] for name in targets}  # type: ignore[type-arg]
        for _ in range(args.runs):
            for name, (url, pid) in targets.items():
                rounds[name].append(wrk(pid, url, args.duration, args.connections))
    finally:
        for server in (proc, bare_proc):
            if server is not None:
                server.terminate()
                server.wait(15)
        shutil.rmtree(data_dir, ignore_errors=True)
        asyncio.run(drop_catalogue(cat))
    total = args.posts * args.runs
    print(f"\nposting ({args.runs} runs of {args.posts}, one connection; {held} of {total} held)")
    print(f"  comment      p50 {p50:7.2f} ms   p99 {p99:7.2f} ms (target p99 < 50 ms)")
    print(f"  like/unlike  p50 {liking[0]:7.2f} ms   p99 {liking[1]:7.2f} ms (the same counters)")
    print(f"  in-app bare  p50 {floor[0]:7.2f} ms   p99 {floor[1]:7.2f} ms (the floor)")
    print(f"\ncomment page ({size} bytes; median of {args.runs} runs, wrk -t2 "
          f"-c{args.connections} -d{args.duration}s)")  # fmt: skip
    print(f"  {'route':<10}{'rps':>8}{'p50 ms':>9}{'p99 ms':>9}{'x bare':>8}{'cpu us/req':>12}")
    med = {
        name: [
            statistics.median(getattr(r, f) for r in res)
            for f in ("rps", "p50_ms", "p99_ms", "cpu_us")
        ]
        for name, res in rounds.items()
    }
    for name, (rps, r50, r99, cpu) in med.items():
        print(
            f"  {name:<10}{rps:>8.0f}{r50:>9.2f}{r99:>9.2f}{rps / med['bare'][0]:>8.2f}{cpu:>12.0f}"
        )
    ok = p99 < 50
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
