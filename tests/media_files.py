"""Real media made by ffmpeg (from the imageio-ffmpeg wheel) for the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg


def ffmpeg(*args: str) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
    )


def png(path: Path, width: int = 64, height: int = 48) -> bytes:
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size={width}x{height}", "-frames:v", "1", str(path))
    return path.read_bytes()
