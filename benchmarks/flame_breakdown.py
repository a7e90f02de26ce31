"""Where a request's CPU goes, from py-spy's raw stacks (`page_cost.py --profile` writes them
beside each flame graph): each sample is given to the part of the stack nearest its leaf that
this table names, and the shares are turned into µs with the CPU time per request measured.

Usage: `python benchmarks/flame_breakdown.py STACKS.txt CPU_US [STACKS.txt CPU_US …]`."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# (part, what in a frame names it), tried on each frame from the leaf up; the first hit wins.
PARTS = [
    ("metrics (Prometheus)", ("prometheus_client/", "middleware.py:observe", "observe (api/")),
    ("logging", ("logging/__init__", "infra/logging")),
    ("request id", ("infra/ids.py", "request_id_from")),
    ("security headers", ("SecurityHeaders",)),
    ("body limit", ("BodyLimit",)),
    ("request id and metrics middleware", ("RequestContext",)),
    ("near-cache lookup", ("infra/nearcache.py", "api/feedcache.py")),
    ("ETag / conditional GET", ("api/etags.py",)),
    ("fast path (api/fastpath.py)", ("api/fastpath.py",)),
    ("dependency resolution, query validation", ("fastapi/dependencies/", "api/deps.py")),
    ("the route's own code", ("api/routers/",)),
    ("response object (Starlette)", ("starlette/responses.py", "starlette/datastructures.py")),
    ("FastAPI handler wrapper, serialization", ("fastapi/routing.py", "fastapi/_compat")),
    ("routing (Starlette)", ("starlette/routing.py",)),
    (
        "Starlette/FastAPI middleware plumbing",
        ("starlette/middleware/", "starlette/_exception_handler", "applications.py"),
    ),
    ("uvicorn HTTP (httptools)", ("uvicorn/",)),
    ("event loop", ("asyncio/", "uvloop")),
]


def part_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for part, marks in PARTS:
            if any(mark in frame for mark in marks):
                return part
    return "other"


def breakdown(path: Path) -> tuple[Counter[str], int]:
    samples: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[part_of(stack.split(";"))] += int(count)
    return samples, sum(samples.values())


def main(args: list[str]) -> None:
    for raw, cpu in zip(args[::2], args[1::2], strict=True):
        samples, total = breakdown(Path(raw))
        print(f"{raw}: {total} samples, {cpu} µs of CPU a request")
        for part, n in samples.most_common():
            print(f"  {part:<42}{100 * n / total:>6.1f} %{float(cpu) * n / total:>8.0f} µs")


if __name__ == "__main__":
    main(sys.argv[1:])
