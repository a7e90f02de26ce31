"""Reading text off frames from the worker: the reader process (`infra.ocr.child`) started
behind the launcher that kills it with its parent, bounded in time, one at a time."""

from __future__ import annotations

import contextlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream
from anyio.lowlevel import RunVar

from infra.processes import launched, run_bounded

# One reader at a time in a process: it already takes its threads; two would only starve the API.
_limiter: RunVar[anyio.CapacityLimiter] = RunVar("ocr_limiter")


class OcrError(Exception):
    """The frames could not be read: the reader failed, was killed, or ran out of time."""


@dataclass(frozen=True, slots=True)
class OcrLimits:
    threads: int = 1  # the engine's threads (onnxruntime intra-op)
    memory_mb: int = 1536  # the reader's address space; 0: unbounded
    interval_s: float = 1.0  # seconds between frames read at a steady rate


@dataclass(frozen=True, slots=True)
class FrameText:
    t: float | None  # seconds into the video; None for a still image
    lines: list[dict[str, Any]] = field(default_factory=list)  # text, score, box (fractions)


async def read_video(
    path: Path,
    size: tuple[int, int],
    limits: OcrLimits,
    *,
    timeout_s: float,
    max_frames: int,
) -> list[FrameText]:
    """The text of ``path``'s frames, decoded at ``size`` (width, height): one entry per frame
    read, in time order. Raises `OcrError`."""
    args = ["video", str(path), "--size", f"{size[0]}x{size[1]}", "--max-frames", str(max_frames)]
    args += ["--interval", f"{limits.interval_s:g}"]
    return await _read(args, limits, timeout_s)


async def read_image(path: Path, limits: OcrLimits, *, timeout_s: float) -> list[FrameText]:
    """The text of a still image (one entry). Raises `OcrError`."""
    return await _read(["image", str(path)], limits, timeout_s)


async def _read(args: list[str], limits: OcrLimits, timeout_s: float) -> list[FrameText]:
    args += ["--threads", str(limits.threads), "--memory-mb", str(limits.memory_mb)]
    command = launched([sys.executable, "-m", "infra.ocr.child", *args])
    async with _get_limiter():
        out, err, returncode = await _run(command, timeout_s)
    records = _records(out)
    if returncode != 0 or not records or not records[-1].get("done"):
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited {returncode}"
        message = err.strip().splitlines()[-1] if err.strip() else "(no message)"
        raise OcrError(f"the text reader {how}: {message}")
    return [FrameText(r.get("t"), r.get("lines") or []) for r in records[:-1]]


def _records(out: str) -> list[dict[str, Any]]:
    """The reader's JSON lines; anything else a library printed on its stdout is skipped."""
    records = []
    for line in out.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


async def _run(command: list[str], timeout_s: float) -> tuple[str, str, int]:
    out = bytearray()

    async def collect(stdout: ByteReceiveStream) -> None:
        async for chunk in stdout:
            out.extend(chunk)

    try:
        returncode, err = await run_bounded(command, timeout_s, collect)
    except OSError as exc:  # no memory or processes left to start it
        raise OcrError(f"the text reader could not start: {exc}") from exc
    if returncode is None:
        raise OcrError(f"the text reader ran longer than {timeout_s:g} s and was stopped")
    return out.decode("utf-8", "replace"), err, returncode


def _get_limiter() -> anyio.CapacityLimiter:
    with contextlib.suppress(LookupError):
        return _limiter.get()
    limiter = anyio.CapacityLimiter(1)
    _limiter.set(limiter)
    return limiter
