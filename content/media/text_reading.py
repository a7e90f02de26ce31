"""The text on a media item: what the reader (`infra.ocr`) finds on a video's frames becomes
timed segments — one per line of text for as long as it stays on screen — and an image's lines
one segment each. A failed read never fails the media: it is recorded, and the machine stage
tells reviewers the frames were not read (docs/video-text.md)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content.models import TextReading
from infra.ocr import FrameText, OcrError, OcrLimits, read_image, read_video

log = logging.getLogger(__name__)

# Bounds of what is kept of one item: text that changes on every frame makes a segment per line
# per frame, and a reviewer (or the screener) needs no more than a long article's worth.
MAX_SEGMENTS = 3000
MAX_CHARS = 100_000
IMAGE_TIMEOUT_S = 60.0
# The reader's time limit: a fixed allowance plus a multiple of the duration (measured: about
# 0.15 s a frame on one thread, one frame a second).
TIMEOUT_BASE_S = 60.0
TIMEOUT_PER_SECOND = 2.0
READ_SIDE = 1280  # frames are read at most 720p (the largest rendition); never larger
ERROR_MESSAGE = "画面文字未能读取 / the text on the frames could not be read"


@dataclass(frozen=True, slots=True)
class Reading:
    """What `succeed` records of the text: status, why it failed, the segments."""

    status: TextReading
    segments: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def columns(self) -> dict[str, Any]:
        return {
            "text_status": self.status,
            "text_segments": self.segments,
            "text_error": self.error,
        }


async def read_video_text(
    path: Path, size: tuple[int, int], duration_s: float, limits: OcrLimits | None
) -> Reading:
    """The timed text of the video at ``path`` (a rendition, ``size`` its width and height)."""
    if limits is None:
        return Reading(TextReading.off)
    steady = math.ceil(duration_s / limits.interval_s) + 1
    try:
        frames = await read_video(
            path,
            _even_fit(size),
            limits,
            timeout_s=TIMEOUT_BASE_S + TIMEOUT_PER_SECOND * duration_s,
            max_frames=2 * steady + 10,  # scene changes may add frames; never without bound
        )
    except OcrError as exc:
        log.warning("could not read the text of %s: %s", path.name, exc)
        return Reading(TextReading.failed, error=f"{ERROR_MESSAGE}: {exc}"[:500])
    return Reading(TextReading.read, segments(frames, limits.interval_s, duration_s))


async def read_image_text(path: Path, limits: OcrLimits | None) -> Reading:
    """The lines of text on the image at ``path`` (its display copy)."""
    if limits is None:
        return Reading(TextReading.off)
    try:
        frames = await read_image(path, limits, timeout_s=IMAGE_TIMEOUT_S)
    except OcrError as exc:
        log.warning("could not read the text of %s: %s", path.name, exc)
        return Reading(TextReading.failed, error=f"{ERROR_MESSAGE}: {exc}"[:500])
    lines = [line for frame in frames for line in frame.lines]
    return Reading(
        TextReading.read, _bounded([{"text": x["text"], "box": x["box"]} for x in lines])
    )


def segments(
    frames: Sequence[FrameText], interval_s: float, duration_s: float
) -> list[dict[str, Any]]:
    """Timed segments from the frames read, by time, then top to bottom: a line seen on
    consecutive frames is one segment, from the first frame it is on to the frame after the
    last (or one interval later, never past the end)."""
    done: list[dict[str, Any]] = []
    showing: dict[str, dict[str, Any]] = {}
    for index, frame in enumerate(frames):
        t = frame.t or 0.0
        later = frames[index + 1].t if index + 1 < len(frames) else None
        end = later if later is not None else min(t + interval_s, max(duration_s, t))
        still: dict[str, dict[str, Any]] = {}
        for line in frame.lines:
            key = "".join(str(line["text"]).split())
            if not key or key in still:
                continue
            segment = showing.pop(key, None) or {
                "t_start": t,
                "text": line["text"],
                "box": line["box"],
            }
            segment["t_end"] = round(end, 3)
            still[key] = segment
        done += showing.values()
        showing = still
    done += showing.values()
    done.sort(key=lambda s: (s["t_start"], s["box"][1], s["box"][0]))
    return _bounded(done)


def _bounded(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    chars = 0
    for item in items[:MAX_SEGMENTS]:
        chars += len(item["text"])
        if chars > MAX_CHARS:
            break
        kept.append(item)
    if len(kept) < len(items):
        log.info("kept %d of %d text segments", len(kept), len(items))
    return kept


def _even_fit(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` fitted into READ_SIDE, even (what ffmpeg's scaler wants for yuv420p)."""
    width, height = size
    scale = min(1.0, READ_SIDE / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
