"""The OCR reader process: ``python -m infra.ocr.child video|image PATH …``.

It runs apart from the worker so its threads and memory are bounded and a crash of the engine is
only a read that failed. It prints one JSON line per frame read (``{"t": seconds or null,
"lines": […]}``), then ``{"done": true, …}``; errors go to stderr with a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np

from infra.ffmpeg import ffmpeg_exe
from infra.ocr.engine import DETECT_SIDE, Frame, Reader

# An image (a cover) is read at most this large on its longer side (display copies are at most
# 1080 wide, 4096 tall), and its lines are found on a copy at most IMAGE_DETECT_SIDE long.
IMAGE_SIDE = 4096
IMAGE_DETECT_SIDE = 1280
_PTS_TIME = re.compile(rb"pts_time:\s*(-?[0-9.]+)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _bound(args.memory_mb)
    cv2.setNumThreads(1)
    reader = Reader(args.threads, IMAGE_DETECT_SIDE if args.kind == "image" else DETECT_SIDE)
    if args.kind == "image":
        frames: Iterator[tuple[float | None, Frame]] = _image(args.path)
    else:
        frames = _video(args.path, args.size, args.interval, args.max_frames)
    count = 0
    for t, frame in frames:
        _emit({"t": t, "lines": reader.read(frame)})
        count += 1
    _emit({"done": True, "frames": count, "recognised": reader.read_lines})
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.ocr.child")
    parser.add_argument("kind", choices=("video", "image"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--size", type=_size, default=(1280, 720), help="WxH frames are read at")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between frames")
    parser.add_argument("--max-frames", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--memory-mb", type=int, default=0, help="address-space limit (0: none)")
    return parser


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def _bound(memory_mb: int) -> None:
    """Lower priority than the API and the transcodes, and a ceiling on memory: an engine that
    runs away fails this process, never the worker or the machine."""
    os.nice(10)
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _image(path: Path) -> Iterator[tuple[float | None, Frame]]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"not an image this reader can decode: {path.name}")
    height, width = image.shape[:2]
    scale = min(1.0, IMAGE_SIDE / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    yield None, np.ascontiguousarray(image)


def _video(
    path: Path, size: tuple[int, int], interval: float, max_frames: int
) -> Iterator[tuple[float | None, Frame]]:
    """Frames at a steady rate (one every ``interval`` seconds) and at scene changes (at most
    four times as often), decoded by ffmpeg at ``size``, with their times."""
    width, height = size
    gap = interval / 4
    select = (
        f"select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{interval:g})"
        f"+gt(scene\\,0.3)*gte(t-prev_selected_t\\,{gap:g})'"
    )
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "info", "-i", str(path),
        "-an", "-sn", "-dn", "-vf", f"{select},scale={width}:{height},showinfo",
        "-fps_mode", "vfr", "-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 (our ffmpeg, a path the worker chose)
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    times: queue.Queue[float | None] = queue.Queue()
    tail: list[bytes] = []
    threading.Thread(target=_times, args=(process.stderr, times, tail), daemon=True).start()
    frame_bytes = width * height * 3
    try:
        for _ in range(max_frames):
            data = process.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            t = times.get(timeout=30)
            frame = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)
            yield t, frame
    finally:
        process.kill()
        process.wait()
    if process.returncode not in (0, -9):  # -9: stopped by us after the last frame wanted
        last = tail[-1].decode("utf-8", "replace").strip() if tail else "(no message)"
        raise SystemExit(f"ffmpeg exited {process.returncode} reading the frames: {last}")


def _times(stream: IO[bytes], times: queue.Queue[float | None], tail: list[bytes]) -> None:
    for line in stream:
        match = _PTS_TIME.search(line)
        if match and b"showinfo" in line:
            times.put(round(float(match.group(1)), 3))
        elif line.strip():
            tail[:] = [*tail[-20:], line]
    times.put(None)


if __name__ == "__main__":
    sys.exit(main())
