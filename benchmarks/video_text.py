"""The text reader against its targets: reading a video's frames (`read_video_text`, default
settings: one thread, a frame a second) takes at most 0.5x the time of the transcode that made
its renditions; at least 0.95 of the burned-in subtitle lines are read exactly and 0.99 of the
blocked terms they carry are found by the machine stage's screening; bad input (no text, text
that changes on every frame) stays bounded; the API stays responsive while it reads.

Run from the repository root: `python -m benchmarks.video_text` (`--quick`: 20 s clips, one run
each, two clips for recall). Prints a table, PASS or FAIL; exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx

from benchmarks.video_text_lines import BLOCKED, CLAIMS, SCIENCE
from content.media.text_reading import Reading, read_video_text
from content.media.transcode import RenditionFile, transcode
from content.media.video_plan import plan_renditions
from content.models import Revision, Severity
from content.screening import DEFAULT_RUMORS, DEFAULT_TERMS, RumorSpec, Screener, screen_revision
from infra.media_probe import aprobe
from infra.ocr import OcrLimits
from tests.media_files import Caption, captioned_video, numbered_video

TARGET_RATIO = 0.5
TARGET_LINES = 0.95
TARGET_TERMS = 0.99
T = TypeVar("T")


@dataclass
class Clip:
    path: Path
    lines: list[Caption]
    terms: list[Caption]  # (from, to, blocked term) of the lines that carry one
    rendition: RenditionFile | None = None
    duration_s: float = 0.0


@dataclass
class Score:
    """What the readings got right, summed over the clips."""

    lines: int = 0
    read: int = 0  # lines read exactly, each with its errors of time
    start_errors: list[float] = field(default_factory=list)
    end_errors: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    terms: int = 0
    found: int = 0
    stray_blocks: int = 0  # block findings on no line that carries a term (misreadings)


def script(rng: random.Random, seconds: float) -> tuple[list[Caption], list[Caption]]:
    """Subtitles back to back, 2–4 s each (sometimes half a second apart), three in five about
    science, one in four carrying a blocked term, the rest health claims; none twice."""
    science, blocked, claims = (rng.sample(x, len(x)) for x in (SCIENCE, BLOCKED, CLAIMS))
    lines: list[Caption] = []
    terms: list[Caption] = []
    t = 0.0
    while t + 2 <= seconds:
        end = min(t + rng.choice((2.0, 2.5, 3.0, 3.5, 4.0)), seconds)
        pick = rng.random()
        if pick < 0.25 and blocked:
            text, term = blocked.pop()
            terms.append((t, end, term))
        elif pick < 0.4 and claims:
            text = claims.pop()
        else:
            text = science.pop()
        lines.append((t, end, text))
        t = end + (0.5 if rng.random() < 0.3 else 0.0)
    return lines, terms


def make_clip(path: Path, rng: random.Random, size: tuple[int, int], seconds: float) -> Clip:
    lines, terms = script(rng, seconds)
    width, height = size
    captioned_video(path, lines, width, height, seconds, font_size=min(width, height) // 16)
    return Clip(path, lines, terms)


async def _transcode(clip: Clip, workdir: Path) -> None:
    info = await aprobe(clip.path)
    output = await transcode(clip.path, workdir, info, plan_renditions(info))
    clip.rendition, clip.duration_s = output.renditions[0], info.duration_s or 0.0


async def _read(clip: Clip, threads: int) -> Reading:
    assert clip.rendition is not None
    size = (clip.rendition.width, clip.rendition.height)
    return await read_video_text(clip.rendition.path, size, clip.duration_s, OcrLimits(threads))


def timed(call: Callable[..., Awaitable[T]], *args: Any) -> tuple[float, T]:
    started = time.perf_counter()
    result = anyio.run(call, *args)
    return time.perf_counter() - started, result


def measure_speed(clip: Clip, root: Path, runs: int) -> dict[str, list[float]]:
    """Transcode, read on one thread, read on two: alternating, ``runs`` times each."""
    times: dict[str, list[float]] = {"transcode": [], "read 1 thread": [], "read 2 threads": []}
    for run in range(1, runs + 1):
        times["transcode"].append(timed(_transcode, clip, root / f"speed-{run}")[0])
        for threads in (1, 2):
            key = f"read {threads} thread" + ("s" if threads > 1 else "")
            times[key].append(timed(_read, clip, threads)[0])
        print(
            f"  run {run}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items()),
            flush=True,
        )
    return times


def _same(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def score(clip: Clip, reading: Reading, screener: Screener, into: Score) -> None:
    """Adds to ``into`` what the reading of ``clip`` got right."""
    segments = reading.segments
    for start, end, text in clip.lines:
        into.lines += 1
        hits = [
            s
            for s in segments
            if s["t_start"] < end and s["t_end"] > start and _same(s["text"], text)
        ]
        if not hits:
            into.misses.append(f"{clip.path.name} {start:g}-{end:g} {text}")
            continue
        best = max(hits, key=lambda s: min(s["t_end"], end) - max(s["t_start"], start))
        into.read += 1
        into.start_errors.append(abs(best["t_start"] - start))
        into.end_errors.append(abs(best["t_end"] - end))
    revision = Revision(content_id="bench", number=1, author_id="bench", title="", discipline="")
    findings = screen_revision(screener, revision, {"video_text": segments})
    blocks = [f for f in findings if f.field == "video_text" and f.severity == Severity.block]
    for start, end, term in clip.terms:
        into.terms += 1
        into.found += any(
            (term in f.excerpt or f.excerpt in term)
            and (f.t_start or 0) < end
            and (f.t_end or 0) > start
            for f in blocks
        )
    into.stray_blocks += sum(
        not any((f.t_start or 0) < e and (f.t_end or 0) > s for s, e, _ in clip.terms)
        for f in blocks
    )


def measure_recall(root: Path, rng: random.Random, count: int, seconds: float) -> Score:
    """``count`` clips, every third portrait (720x1280), transcoded, read, scored."""
    screener = Screener(DEFAULT_TERMS, [RumorSpec(c, k, t, s) for _, c, k, t, s in DEFAULT_RUMORS])
    total = Score()
    for index in range(count):
        size = (720, 1280) if index % 3 == 1 else (1280, 720)
        clip = make_clip(root / f"recall-{index}.mp4", rng, size, seconds)
        anyio.run(_transcode, clip, root / f"recall-{index}")
        score(clip, anyio.run(_read, clip, 1), screener, total)
        print(f"  clip {index + 1}/{count} ({size[0]}x{size[1]}): {total.read}/{total.lines}")
    return total


def measure_bad_input(root: Path, seconds: float) -> dict[str, tuple[float, int]]:
    """Read time and segments kept of a clip without text and of one numbering its frames."""
    out: dict[str, tuple[float, int]] = {}
    blank = Clip(captioned_video(root / "blank.mp4", [], seconds=seconds), [], [])
    numbered = Clip(numbered_video(root / "numbered.mp4", seconds=seconds), [], [])
    for name, clip in (("no text", blank), ("text changing every frame", numbered)):
        anyio.run(_transcode, clip, root / f"bad-{clip.path.stem}")
        elapsed, reading = timed(_read, clip, 1)
        assert reading.status == "read", reading.error
        out[name] = (elapsed, len(reading.segments))
        print(f"  {name}: {elapsed:.1f} s, {len(reading.segments)} segments", flush=True)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _latencies(url: str, stop: threading.Event, out: list[float], pace_s: float) -> None:
    """Requests one after another, ``pace_s`` apart, until ``stop``: a light, steady load."""
    with httpx.Client() as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(url).raise_for_status()
            out.append(time.perf_counter() - started)
            time.sleep(pace_s)


def measure_api(clip: Clip, idle_s: float) -> dict[str, list[float]]:
    """Latency of the one-route app (`bare_app.py`), idle and while ``clip`` is read."""
    port = _free_port()
    app = subprocess.Popen(
        [sys.executable, "benchmarks/bare_app.py", str(port), "64"], stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/page"
    try:
        for _ in range(100):
            try:
                httpx.get(url).raise_for_status()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        out: dict[str, list[float]] = {"idle": [], "during a read": []}
        for name, work in (("idle", lambda: time.sleep(idle_s)), ("during a read", None)):
            stop = threading.Event()
            load = threading.Thread(target=_latencies, args=(url, stop, out[name], 0.01))
            load.start()
            if work is not None:
                work()
            else:
                timed(_read, clip, 1)
            stop.set()
            load.join()
        return out
    finally:
        app.terminate()
        app.wait()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def report(
    speed: dict[str, list[float]],
    recall: Score,
    bad: dict[str, tuple[float, int]],
    api: dict[str, list[float]],
    seconds: float,
) -> bool:
    transcode_s = statistics.median(speed["transcode"])
    print(f"\n{'what':<44}{'median s':>10}{'× transcode':>13}")
    for name, values in speed.items():
        median = statistics.median(values)
        print(f"{name:<44}{median:>10.2f}{median / transcode_s:>13.2f}")
    for name, (elapsed, kept) in bad.items():
        print(
            f"{f'read, {name} ({kept} segments)':<44}{elapsed:>10.2f}{elapsed / transcode_s:>13.2f}"
        )
    ratio = statistics.median(speed["read 1 thread"]) / transcode_s
    lines, terms = recall.read / recall.lines, recall.found / max(recall.terms, 1)
    print(f"\nlines read exactly   {recall.read}/{recall.lines} = {lines:.3f}")
    print(f"blocked terms found  {recall.found}/{recall.terms} = {terms:.3f}")
    print(f"block findings on no blocked line: {recall.stray_blocks}")
    for name, errors in (("t_start", recall.start_errors), ("t_end", recall.end_errors)):
        if errors:
            print(f"{name} error: mean {statistics.mean(errors):.2f} s, max {max(errors):.2f} s")
    for miss in recall.misses:
        print(f"  missed: {miss}")
    print(f"\n{'API (one-route app), ms':<28}{'p50':>8}{'p99':>8}{'requests':>10}")
    for name, values in api.items():
        p50, p99 = _pct(values, 0.5) * 1000, _pct(values, 0.99) * 1000
        print(f"{name:<28}{p50:>8.2f}{p99:>8.2f}{len(values):>10}")
    checks = (
        (f"read / transcode {ratio:.2f} (target ≤ {TARGET_RATIO})", ratio <= TARGET_RATIO),
        (f"lines read {lines:.3f} (target ≥ {TARGET_LINES})", lines >= TARGET_LINES),
        (f"terms found {terms:.3f} (target ≥ {TARGET_TERMS})", terms >= TARGET_TERMS),
    )
    for text, ok in checks:
        print(f"{text}: {'PASS' if ok else 'FAIL'}")
    return all(ok for _, ok in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s clips, one run, two clips")
    parser.add_argument("--clips", type=int, default=5, help="clips for recall")
    options = parser.parse_args()
    seconds, runs = (20.0, 1) if options.quick else (60.0, 3)
    clips = 2 if options.quick else options.clips
    rng = random.Random(20261207)
    with tempfile.TemporaryDirectory(prefix="kepu-bench-") as tmp:
        root = Path(tmp)
        print(f"[1/4] speed: a {seconds:g} s 1280x720 clip, {runs} run(s) each", flush=True)
        clip = make_clip(root / "speed.mp4", rng, (1280, 720), seconds)
        speed = measure_speed(clip, root, runs)
        print(f"[2/4] recall: {clips} clips of {seconds:g} s", flush=True)
        recall = measure_recall(root, rng, clips, seconds)
        print("[3/4] bad input", flush=True)
        bad = measure_bad_input(root, seconds)
        print("[4/4] API latency, idle and during a read", flush=True)
        api = measure_api(clip, 10.0 if not options.quick else 5.0)
    return 0 if report(speed, recall, bad, api, seconds) else 1


if __name__ == "__main__":
    sys.exit(main())
