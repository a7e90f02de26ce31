"""Time to ready of the media pipeline against its target: `process_media` (download,
probe, checks, transcode, probe of the outputs, upload, against LocalStorage) takes at most 1.15x
the time of the bare ffmpeg command making the same renditions, cover and preview from the
same file.

Run from the repository root: `python benchmarks/transcode_pipeline.py`. Generates a 1080p clip
(test pattern with grain, so the encoder has real work) once, then runs bare and pipeline
alternately, three times each, and compares the medians. Prints PASS or FAIL; exits 1 on FAIL.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

from content.media import MediaRules, build_transcode_job, plan_renditions, process_media
from infra.ffmpeg import ffmpeg_command
from infra.media_probe import probe
from infra.storage.local import LocalStorage

TARGET_RATIO = 1.15


def make_clip(path: Path, seconds: float) -> None:
    """A 1080p30 H.264/AAC clip at a phone's bit rate; grain keeps it from being trivially
    compressible, as camera footage is not."""
    subprocess.run(
        ffmpeg_command(
            [
                "-y",
                "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", f"{seconds:g}",
                "-vf", "noise=alls=12:allf=t",
                "-c:v", "libx264", "-preset", "veryfast", "-b:v", "12M", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "128k",
                str(path),
            ]
        ),
        check=True,
    )  # fmt: skip


def run_bare(source: Path, workdir: Path) -> float:
    """The pipeline's own ffmpeg arguments, run directly: the floor it is measured against."""
    info = probe(source)  # not timed: only to build the same argument list
    job = build_transcode_job(source, workdir, info, plan_renditions(info))
    job.cover.parent.mkdir(parents=True, exist_ok=True)
    command = ffmpeg_command(job.args)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def run_pipeline(storage: LocalStorage, key: str, workdir: Path, rules: MediaRules) -> float:
    async def main() -> float:
        started = time.perf_counter()
        await process_media(storage, key, "bench", workdir, rules)
        return time.perf_counter() - started

    return anyio.run(main)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=25.0, help="length of the test clip")
    parser.add_argument("--runs", type=int, default=3, help="runs of each, interleaved")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kepu-bench-") as tmp:
        root = Path(tmp)
        source = root / "source.mp4"
        print(f"generating a {options.seconds:g} s 1080p clip…", flush=True)
        make_clip(source, options.seconds)
        info = probe(source)
        specs = plan_renditions(info)
        print(
            f"source: {source.stat().st_size / 1e6:.1f} MB, {info.duration_s:.1f} s; renditions: "
            + ", ".join(f"{s.label} {s.width}x{s.height}" for s in specs)
            + " + cover + preview"
        )

        storage = LocalStorage(root / "objects", "http://bench.invalid", "bench-secret")
        anyio.run(storage.ensure_bucket)
        anyio.run(storage.upload_from, source, "uploads/bench/original", "video/mp4")
        rules = MediaRules(max_seconds=15 * 60, max_bytes=500 * 1024 * 1024)

        bare: list[float] = []
        pipeline: list[float] = []
        for run in range(1, options.runs + 1):
            bare_dir = root / f"bare-{run}"
            bare_dir.mkdir()
            bare.append(run_bare(source, bare_dir))
            work = root / f"work-{run}"
            work.mkdir()
            pipeline.append(run_pipeline(storage, "uploads/bench/original", work, rules))
            print(f"run {run}: bare ffmpeg {bare[-1]:.2f} s, pipeline {pipeline[-1]:.2f} s")

    bare_median = statistics.median(bare)
    pipeline_median = statistics.median(pipeline)
    ratio = pipeline_median / bare_median
    speed = (info.duration_s or 0) / pipeline_median
    print(
        f"median: bare ffmpeg {bare_median:.2f} s, pipeline {pipeline_median:.2f} s "
        f"({speed:.2f}x real time)"
    )
    # Informational: on a machine shared with other work, the fastest runs show the pipeline's
    # own overhead with the least noise. The verdict stays on the medians.
    print(
        f"best: bare ffmpeg {min(bare):.2f} s, pipeline {min(pipeline):.2f} s "
        f"(ratio {min(pipeline) / min(bare):.3f})"
    )
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"ratio {ratio:.3f} (target ≤ {TARGET_RATIO}): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
