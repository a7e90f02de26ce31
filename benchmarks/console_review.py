"""A reviewer's loop in the console — open the queue, open the next task, decide — against a real
`kepu serve --no-workers`, on PostgreSQL and SQLite, with 10^4 open review tasks.

The target (the console's issue, "Speed"): every step of the loop costs under 300 ms of server
time at the 99th percentile with 10^4 open tasks.

The data: a fresh database built by the migrations (PostgreSQL: a throw-away database on the
machine's server; SQLite: a file in a temporary directory), then `--tasks` open review tasks
(plus as many as the run will close, so at least `--tasks` stay open throughout), written with
bulk INSERTs as the workflow would have left them (content/review): a content `in_review`
whose working revision is `in_review` at its stage, submitted, with the machine stage's
findings (the real screener's, run over the revision's text as the machine stage runs it: about
two in five revisions carry a rumor or a health claim it warns about, none blocking), the
events `submit` and `pass`; at the science stage also the political task approved by another
reviewer and its `approve` event. 60 % of tasks are political, 40 % science, spread over the
seeded disciplines (a third of them medicine); a third of contents are videos (a ready video
with 360p and 720p renditions, cover and duration, and its cover image), the rest Markdown
articles of 1–3 thousand characters, half with a cover; one in ten is a second revision after
the political reviewer asked for changes (the first revision, its task with the comment, the
events `request_changes` and `edit`), so review pages have a diff and earlier comments to show;
one in thirty open tasks is held by another reviewer's claim still in force. Tasks were created
over the past 14 days, oldest first. 300 creators; the benchmark's political reviewer and a
science reviewer of medicine and nutrition log in with a password, as a person does.

The loop, per stage (political; science with `?discipline=medicine`), `--loops` times in a
row: `GET /console/review/queue/{stage}`, `POST …/next` (303 to the task), `GET` the task's
review page, `POST …/decision` with `decision=approve` and a comment (303 to the next task),
`GET` that page (counted as a review page too). Each request alone on one keep-alive
connection, the session cookie and CSRF token handled as a browser does; redirects are not
followed (each hop is its own step). Timed on the client over loopback: the server's whole
time for the request (HTTP parsing, middleware, session lookup in Redis, every query,
rendering), plus a loopback round trip of well under a millisecond — a separate server
process rather than the app in this process, so the client's own work is not counted and the
server runs as it does in production. The server process's CPU time per request (from
/proc/<pid>/task/*/schedstat, nanoseconds; on SQLite this includes the database's work,
which runs in the server's threads) is reported beside it.

The baseline, in the same run and measured the same way: a one-route FastAPI app outside Kepu
under the same uvicorn settings rendering, per request, a Jinja2 page (a layout and a table,
autoescaped) of the review page's size; and Kepu's own bare route (behind our middleware),
the app's floor. Each run alternates the stages and the baseline; `--runs` runs (at least 3),
the median of the runs' p50 and p99 is reported, and each step's as a multiple of the
one-route app's.

Run from the repository root: `python benchmarks/console_review.py [--tasks 10000]
[--engines postgresql,sqlite] [--loops 200] [--runs 3]` (PostgreSQL and Redis as in the
tests, or KEPU_TEST_PG and KEPU_TEST_REDIS). `--seed-only` builds and checks the data and
stops. Prints PASS or FAIL and exits 1 on FAIL (2 when the reviewer pages are not there).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx

# The repository (for content/, infra/) and this folder (the data module, feed_throughput).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_review_data import (  # type: ignore[import-not-found]
    PASSWORD,
    SCIENCE_DISCIPLINES,
    Data,
    check_workflow,
    database,
    fill,
    open_count,
)
from feed_throughput import free_port  # type: ignore[import-not-found]

TARGET_P99_MS = 300.0
STEPS = ("queue", "next", "task", "decide")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')
REDIS = os.environ.get("KEPU_TEST_REDIS", "redis://127.0.0.1:6379/0")

# --- the servers ------------------------------------------------------------------------------


def wait_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped: {proc.returncode}")
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"no answer from {url}")


# `kepu serve` with the garbage collector's passes logged (`--gc-log`): which slow requests are
# the collector's.
GC_LOGGING = """
import gc, sys, time
started = {}
def log(phase, info):
    if phase == "start":
        started["t"] = time.perf_counter()
    elif info["generation"] == 2 or time.perf_counter() - started["t"] > 0.02:
        ms = (time.perf_counter() - started["t"]) * 1000
        print(f"gc {info['generation']} {ms:.1f}", file=sys.stderr, flush=True)
gc.callbacks.append(log)
from api.cli import app
sys.argv[0] = "kepu"
app()
"""


def start_kepu(
    server_url: str, data_dir: str, prefix: str, gc_log: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env.update(
        KEPU_MODE="production",
        KEPU_JWT_SECRET=secrets.token_urlsafe(48),
        KEPU_DATA_DIR=data_dir,
        KEPU_DATABASE_URL=server_url,
        KEPU_REDIS_URL=REDIS,
        KEPU_REDIS_PREFIX=prefix,
        KEPU_QUEUE_NAME=prefix,
        KEPU_LOG_LEVEL="WARNING",
        KEPU_BENCHMARK_ROUTES="true",
    )
    kepu = str(Path(sys.executable).parent / "kepu")
    command = [sys.executable, "-c", GC_LOGGING] if gc_log else [kepu]
    proc = subprocess.Popen(
        [*command, "serve", "--no-workers", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(data_dir) / "server.log", "wb"),  # noqa: SIM115 (the child keeps it)
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, f"{base}/readyz")
    return proc, base


BASELINE_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }} · 科普控制台</title>
<link rel="stylesheet" href="/static/console.css"></head>
<body><header><nav>{% for link in nav %}<a href="{{ link.href }}">{{ link.text }}</a>
{% endfor %}</nav><span>{{ user }}</span></header>
<main><h1>{{ title }}</h1>
<table><thead><tr><th scope="col">标题</th><th scope="col">作者</th><th scope="col">学科</th>
<th scope="col">等待</th><th scope="col">发现</th></tr></thead><tbody>
{% for row in rows %}<tr><td><a href="/console/review/tasks/{{ row.id }}">{{ row.title }}</a></td>
<td>{{ row.author }}</td><td>{{ row.discipline }}</td><td>{{ row.waiting }}</td>
<td>{{ row.findings }}</td></tr>
{% endfor %}</tbody></table>
<form method="post"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button type="submit">下一条</button></form></main></body></html>
"""


def baseline_app(port: int, size: int) -> None:
    """A one-route FastAPI app outside Kepu: a Jinja2 page of about ``size`` bytes rendered per
    request (a layout, a table of rows built per request, autoescaped), under the uvicorn
    settings `kepu serve` uses."""
    import jinja2
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    env = jinja2.Environment(autoescape=True)
    template = env.from_string(BASELINE_TEMPLATE)

    def context(n: int) -> dict[str, Any]:
        return {
            "title": "政治审核队列",
            "user": "审核员",
            "csrf": "x" * 43,
            "nav": [{"href": f"/console/{p}", "text": t}
                    for p, t in (("review", "审核"), ("contents", "内容"), ("stats", "统计"))],
            "rows": [{"id": f"{i:026d}", "title": f"冬季如何科学预防流感（第{i}篇）",
                      "author": f"科普作者{i % 300:03d}", "discipline": "医学",
                      "waiting": f"{i % 14}天{i % 24}小时", "findings": i % 3}
                     for i in range(n)],
        }  # fmt: skip

    rows = 1
    while len(template.render(context(rows)).encode()) < size:
        rows += 1
    app = FastAPI()

    @app.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse(template.render(context(rows)))

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None)


def start_baseline(size: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--baseline-app", f"{port},{size}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/page"
    wait_ready(proc, url)
    return proc, url


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of the process so far, in nanoseconds."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


# --- the browser ------------------------------------------------------------------------------


class NotBuilt(Exception):
    pass


@dataclass
class Sample:
    ms: float
    cpu_ms: float
    where: str = ""  # which run and loop, for the slowest requests


class Browser:
    """One reviewer's browser over plain HTTP on loopback: the console's cookies are Secure, so
    the jar is kept here (a browser on https would send them) and sent by hand."""

    def __init__(self, base: str, pid: int) -> None:
        self.base = base
        self.pid = pid
        self.http = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def close(self) -> None:
        self.http.close()

    def _keep(self, resp: httpx.Response) -> None:
        for header in resp.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] not in ("0",):
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if found := CSRF.search(resp.text):
            self.csrf = found.group(1)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[httpx.Response, Sample]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if method == "POST":
            headers |= {"Origin": self.base, "Referer": self.base + path}
        cpu = cpu_ns(self.pid)
        started = time.perf_counter()
        resp = self.http.request(method, path, headers=headers, data=form)
        spent = (time.perf_counter() - started) * 1000
        cpu = cpu_ns(self.pid) - cpu
        self._keep(resp)
        if resp.status_code >= 400 or "x-console-error" in resp.headers:
            if resp.status_code == 404 and path.startswith("/console/review/queue"):
                raise NotBuilt(path)
            error = resp.headers.get("x-console-error", "")
            raise SystemExit(f"{method} {path}: {resp.status_code} {error}\n{resp.text[:2000]}")
        return resp, Sample(spent, cpu / 1e6)

    def login(self, username: str) -> None:
        page, _ = self.request("GET", "/console/login")
        token = LOGIN_TOKEN.search(page.text)
        assert token, page.text
        resp, _ = self.request(
            "POST",
            "/console/login",
            {"username": username, "password": PASSWORD, "login_token": token.group(1)},
        )
        if resp.status_code != 303 or "kepu_console" not in self.cookies:
            raise SystemExit(f"login failed: {resp.status_code} {resp.text[:500]}")


def loop(browser: Browser, stage: str, discipline: str | None, loops: int,
         out: dict[str, list[Sample]], label: str) -> dict[str, int]:  # fmt: skip
    """``loops`` times: the queue, next, the task, approve, and the page the decision opens.
    Samples go to ``out[step]``; returns the size of the last queue and review page."""
    query = f"?discipline={discipline}" if discipline else ""
    form_extra = {"discipline": discipline} if discipline else {}
    sizes = {}
    for i in range(loops):
        page, s = browser.request("GET", f"/console/review/queue/{stage}{query}")
        here = f"{label}, loop {i + 1}"
        s.where = here
        out["queue"].append(s)
        sizes["queue"] = len(page.content)
        resp, s = browser.request("POST", f"/console/review/queue/{stage}/next",
                                  {"csrf_token": browser.csrf, **form_extra})  # fmt: skip
        s.where = here
        out["next"].append(s)
        task_url = resp.headers.get("location", "")
        if resp.status_code != 303 or "/console/review/tasks/" not in task_url:
            raise SystemExit(f"next did not open a task: {resp.status_code} {task_url}")
        task_path = httpx.URL(task_url).path
        page, s = browser.request("GET", task_path)
        s.where = here
        out["task"].append(s)
        sizes["task"] = len(page.content)
        resp, s = browser.request("POST", f"{task_path}/decision",
                                  {"csrf_token": browser.csrf, "decision": "approve",
                                   "comment": "内容准确，表述清楚，同意。"})  # fmt: skip
        s.where = here
        out["decide"].append(s)
        if resp.status_code != 303:
            raise SystemExit(f"the decision did not redirect: {resp.status_code}")
        following = httpx.URL(resp.headers["location"]).path
        _, s = browser.request("GET", following)
        s.where = here + " (after the decision)"
        out["task" if "/console/review/tasks/" in following else "queue"].append(s)
        if (i + 1) % 10 == 0 or i + 1 == loops:
            print(f"  {label}: {i + 1}/{loops} loops", end="\r", flush=True)
    print()
    return sizes


def plain_run(client: httpx.Client, url: str, n: int, pid: int) -> list[Sample]:
    """``n`` GETs one after another, timed like the console's steps."""
    out = []
    for _ in range(n):
        cpu = cpu_ns(pid)
        started = time.perf_counter()
        client.get(url).raise_for_status()
        out.append(Sample((time.perf_counter() - started) * 1000, (cpu_ns(pid) - cpu) / 1e6))
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


@dataclass
class Summary:
    p50: float
    p99: float
    cpu: float  # ms of the server's CPU per request, mean
    n: int
    slowest: list[Sample]


def summarize(runs: list[list[Sample]]) -> Summary:
    """The median over runs of each run's p50, p99 and mean CPU time."""
    return Summary(
        statistics.median(pct([s.ms for s in r], 0.5) for r in runs),
        statistics.median(pct([s.ms for s in r], 0.99) for r in runs),
        statistics.median(statistics.mean(s.cpu_ms for s in r) for r in runs),
        sum(len(r) for r in runs),
        sorted((s for r in runs for s in r), key=lambda s: -s.ms)[:3],
    )


BASE_QUEUE, BASE_TASK, FLOOR = "Jinja2 app, queue size", "Jinja2 app, task size", "in-app bare"


def measure(data: Data, server_url: str, args: argparse.Namespace) -> dict[str, Summary]:
    data_dir = tempfile.mkdtemp(prefix="kepu-console-bench-data-")
    prefix = f"kepu-console-bench-{secrets.token_hex(4)}"
    proc, base = start_kepu(server_url, data_dir, prefix, args.gc_log)
    baselines: list[subprocess.Popen[bytes]] = []
    browsers: list[Browser] = []
    try:
        reviewers = {
            "political": (data.political, "political", None),
            "science": (data.science, "science", SCIENCE_DISCIPLINES[0]),
        }
        for username, _, _ in reviewers.values():
            browsers.append(Browser(base, proc.pid))
            browsers[-1].login(username)
        sizes: dict[str, int] = {}
        for browser, (key, (_, stage, discipline)) in zip(browsers, reviewers.items(), strict=True):
            # A fresh process's first pages (templates compiled, connections opened).
            warm: dict[str, list[Sample]] = {s: [] for s in STEPS}
            sizes = loop(browser, stage, discipline, 3, warm, f"warm-up, {key}")
        plain_urls: dict[str, tuple[int, str]] = {}
        for name, size in ((BASE_QUEUE, sizes["queue"]), (BASE_TASK, sizes["task"])):
            started, url = start_baseline(size)
            baselines.append(started)
            plain_urls[name] = (started.pid, url)
        plain_urls[FLOOR] = (proc.pid, f"{base}/api/v1/_bench/bare/{sizes['task']}")
        runs: dict[str, list[list[Sample]]] = {}
        opened = []
        with httpx.Client(timeout=30) as plain:
            for pid, url in plain_urls.values():
                plain_run(plain, url, 20, pid)
            for r in range(args.runs):  # alternating: the machine's load drifts over all
                for browser, (key, (_, stage, discipline)) in zip(
                    browsers, reviewers.items(), strict=True
                ):
                    got: dict[str, list[Sample]] = {s: [] for s in STEPS}
                    loop(browser, stage, discipline, args.loops, got,
                         f"run {r + 1}/{args.runs}, {key}")  # fmt: skip
                    for step, samples in got.items():
                        runs.setdefault(f"{key} {step}", []).append(samples)
                    for name, (pid, url) in plain_urls.items():
                        runs.setdefault(name, []).append(plain_run(plain, url, args.loops, pid))
                for step in STEPS:
                    runs.setdefault(step, []).append(
                        runs[f"political {step}"][-1] + runs[f"science {step}"][-1]
                    )
                opened.append(asyncio.run(open_count(data.url)))
        print(f"  open tasks after each run: {opened}; last queue page {sizes['queue']} bytes, "
              f"review page {sizes['task']} bytes")  # fmt: skip
        if args.gc_log:
            passes = [
                line.split()[1:]
                for line in (Path(data_dir) / "server.log").read_text().splitlines()
                if line.startswith("gc ")
            ]
            full = [float(ms) for gen, ms in passes if gen == "2"]
            print(f"  the server's collector: {len(full)} full (generation 2) passes, "
                  f"{max(full, default=0):.0f} ms at most, {sum(full):.0f} ms in all; "
                  f"{len(passes) - len(full)} younger passes over 20 ms")  # fmt: skip
        return {name: summarize(r) for name, r in runs.items()}
    finally:
        for browser in browsers:
            browser.close()
        for server in (proc, *baselines):
            server.terminate()
            server.wait(15)
        shutil.rmtree(data_dir, ignore_errors=True)


def report(engine_name: str, res: dict[str, Summary], args: argparse.Namespace) -> bool:
    print(f"\n{engine_name}: median of {args.runs} runs of {args.loops} loops per stage "
          "(each step against the one-route Jinja2 app of its page's size; next and decide "
          "against the review page's)")  # fmt: skip
    print(f"  {'step':<24}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'x base p50':>11}{'x base p99':>11}"
          f"{'cpu ms':>8}")  # fmt: skip
    ok = True
    order = [f"{k} {s}" for k in ("political", "science") for s in STEPS]
    for name in [*order, *STEPS, BASE_QUEUE, BASE_TASK, FLOOR]:
        s = res[name]
        base = res[BASE_QUEUE if name.endswith("queue") or name == BASE_QUEUE else BASE_TASK]
        label = f"all: {name}" if name in STEPS else name
        print(f"  {label:<24}{s.n:>6}{s.p50:>9.2f}{s.p99:>9.2f}{s.p50 / base.p50:>11.1f}"
              f"{s.p99 / base.p99:>11.1f}{s.cpu:>8.2f}")  # fmt: skip
        if name in order:
            ok &= s.p99 < TARGET_P99_MS
    worst = max(order, key=lambda n: res[n].p99)
    for name in order:
        slow = sorted(res[name].slowest, key=lambda x: -x.ms)[:3]
        said = ", ".join(f"{x.ms:.0f} ms (cpu {x.cpu_ms:.0f}; {x.where})" for x in slow)
        print(f"  slowest {name}: {said}")
    print(f"  slowest: {worst}, p99 {res[worst].p99:.1f} ms (target < {TARGET_P99_MS:.0f} ms): "
          f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    return ok


async def build(engine_name: str, args: argparse.Namespace) -> AsyncIterator[tuple[Data, str]]:
    async with database(engine_name) as (url, server_url):
        extra = args.runs * args.loops + 3  # science approvals close tasks; the warm-up too
        data = await fill(url, args.tasks + extra, args.seed)
        print(f"  {data.open_tasks} open tasks written in {data.seconds:.1f} s")
        await check_workflow(url)
        yield data, server_url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--loops", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--gc-log", action="store_true", help="log the server's GC passes")
    parser.add_argument("--baseline-app", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_app:
        port, size = (int(x) for x in args.baseline_app.split(","))
        baseline_app(port, size)
        return 0
    verdict = True
    for engine_name in args.engines.split(","):
        print(f"{engine_name}: {args.tasks} open review tasks")
        with _building(engine_name, args) as (data, server_url):
            if args.seed_only:
                continue
            try:
                result = measure(data, server_url, args)
            except NotBuilt as exc:
                print(f"the reviewer pages are not on this branch yet ({exc} answers 404)")
                return 2
        verdict &= report(engine_name, result, args)
    if args.seed_only:
        return 0
    print("PASS" if verdict else "FAIL")
    return 0 if verdict else 1


@contextlib.contextmanager
def _building(engine_name: str, args: argparse.Namespace) -> Iterator[tuple[Data, str]]:
    """``build`` from synchronous code: the database lives until the block ends."""
    loop_ = asyncio.new_event_loop()
    gen = build(engine_name, args)
    try:
        yield loop_.run_until_complete(gen.__anext__())
    finally:
        with contextlib.suppress(StopAsyncIteration):
            loop_.run_until_complete(gen.__anext__())
        loop_.close()


if __name__ == "__main__":
    sys.exit(main())
