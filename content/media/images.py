"""Images (covers, the pictures of an article's body): what a creator uploads becomes a
display-sized JPEG without metadata (a phone's GPS position); viewers never get the original."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content.media import keys
from content.media.failures import (
    MediaRejected,
    damaged,
    from_ffmpeg,
    storage_call,
)
from content.media.text_reading import Reading, read_image_text
from content.media.transcode import COVER_CONTENT_TYPE
from content.media.workspace import download_original, scratch_dir
from infra.ffmpeg import FfmpegError, run_ffmpeg
from infra.media_probe import ProbeError, ProbeResult, VideoInfo, aprobe
from infra.ocr import OcrLimits
from infra.storage.base import Storage

IMAGE_FORMATS = {"png_pipe", "jpeg_pipe", "image2", "webp_pipe", "gif", "gif_pipe"}
# What viewers get: at most phone width on a 3× screen, and long enough for a tall infographic
# to stay legible at that width (fitting the longest side would shrink it to a strip).
MAX_WIDTH = 1080
MAX_HEIGHT = 4096
MAX_PIXELS = 50_000_000  # refuse decompression bombs before decoding them in full
TIMEOUT_S = 120

log = logging.getLogger(__name__)


def display_size(width: int, height: int) -> tuple[int, int]:
    """The size of the display copy of an image shown at ``width``×``height`` (upright): the
    largest that fits MAX_WIDTH×MAX_HEIGHT with its proportions, never enlarged."""
    scale = min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
    if scale >= 1.0:
        return width, height
    return max(1, min(MAX_WIDTH, round(width * scale))), max(
        1, min(MAX_HEIGHT, round(height * scale))
    )


@dataclass(frozen=True, slots=True)
class ImageResult:
    width: int  # of the original as displayed (EXIF orientation applied)
    height: int
    cover_key: str
    source: dict[str, Any]
    text: Reading


def _reject(reason: str, code: str) -> MediaRejected:
    return MediaRejected(reason, code=code)


async def process_image(
    storage: Storage,
    original_key: str,
    media_id: str,
    workdir: Path,
    ocr: OcrLimits | None = None,
) -> ImageResult:
    """Probe the original image, store its display copy and read the text on it (``ocr``;
    None: not read). Idempotent (fixed key)."""
    async with scratch_dir(workdir, media_id) as scratch:
        source = await download_original(storage, original_key, scratch)
        probe, video = await _examine(source)
        cover = scratch / "cover.jpg"
        await _display_copy(media_id, source, cover, display_size(*video.display_size))
        key = keys.cover_key(media_id)
        await storage_call(storage.upload_from(cover, key, COVER_CONTENT_TYPE))
        text = await read_image_text(cover, ocr)
    width, height = video.display_size  # a phone's EXIF orientation applied, as ffmpeg does
    return ImageResult(
        width=width,
        height=height,
        cover_key=key,
        source={"format": probe.format_name, "codec": video.codec, "size_bytes": probe.size_bytes},
        text=text,
    )


async def _examine(source: Path) -> tuple[ProbeResult, VideoInfo]:
    """The image and its picture, or the reason it is refused."""
    try:
        probe = await aprobe(source)
    except ProbeError as exc:
        raise _reject(
            "无法识别的图片 / not an image we can read (JPEG, PNG, WebP or GIF)", "not_image"
        ) from exc
    video = probe.video
    if video is None or not (set(probe.format_names) & IMAGE_FORMATS):
        raise _reject("不是图片 / not a JPEG, PNG, WebP or GIF image", "not_image")
    if not probe.decoded:
        # Cut off or damaged (a truncated PNG opens, but no picture comes out of it).
        raise damaged("image")
    if video.width * video.height > MAX_PIXELS:
        raise _reject(
            f"图片过大 / the image is {video.width}×{video.height}; at most 50 megapixels",
            "too_large",
        )
    return probe, video


async def _display_copy(media_id: str, source: Path, cover: Path, size: tuple[int, int]) -> None:
    """At ``size`` (`display_size`, so what the API announces is what is served), upright, and
    with no metadata left (EXIF GPS): ffmpeg turns the picture as its EXIF orientation says
    before scaling, and writes none of the original's metadata."""
    fit = f"scale={size[0]}:{size[1]},format=yuvj420p"
    try:
        await run_ffmpeg(
            ["-i", str(source), "-frames:v", "1", "-vf", fit, "-map_metadata", "-1",
             "-q:v", "3", "-y", str(cover)],
            timeout_s=TIMEOUT_S,
        )  # fmt: skip
    except FfmpegError as exc:
        log.warning("ffmpeg failed on image %s: %s", media_id, exc.stderr.strip())
        raise from_ffmpeg(exc, "image") from exc
