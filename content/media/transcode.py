"""The download → ffmpeg → upload pipeline of a video (`process_media`), free of the database
and of HTTP: `processing` records its outcome."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict

import anyio.to_thread

from content.media import keys
from content.media.failures import from_ffmpeg, missing_original, storage_call
from content.media.text_reading import Reading, read_video_text
from content.media.video_checks import (
    MediaRules,
    check_size,
    container_of,
    rejection_for_probe_error,
    validate,
    video_of,
)
from content.media.video_plan import (
    RenditionSpec,
    build_transcode_job,
    plan_renditions,
    transcode_timeout,
)
from content.media.workspace import download_original, scratch_dir
from content.models import TextReading
from infra.ffmpeg import FfmpegError, run_ffmpeg
from infra.media_probe import ProbeError, ProbeResult, aprobe
from infra.ocr import OcrLimits
from infra.storage.base import Storage

log = logging.getLogger(__name__)

Progress = Callable[[float], Awaitable[None]]

VIDEO_CONTENT_TYPE = "video/mp4"
COVER_CONTENT_TYPE = "image/jpeg"


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: Path
    width: int
    height: int
    bitrate: int | None  # whole file, bits per second (None for the cover)
    duration_s: float | None


@dataclass(frozen=True, slots=True)
class RenditionFile(OutputFile):
    label: str = ""


@dataclass(frozen=True, slots=True)
class TranscodeOutput:
    renditions: list[RenditionFile]
    cover: OutputFile
    preview: OutputFile


class RenditionRecord(TypedDict):
    label: str
    key: str
    width: int
    height: int
    bitrate: int


@dataclass(frozen=True, slots=True)
class ProcessResult:
    duration_s: float
    width: int  # the source as displayed: rotation applied
    height: int
    rotation: int  # clockwise degrees the source asked players to turn it (renditions need none)
    renditions: list[RenditionRecord]
    cover_key: str
    preview_key: str
    source: dict[str, Any] = field(default_factory=dict)
    text: Reading = field(default_factory=lambda: Reading(TextReading.off))


async def transcode(
    source: Path,
    workdir: Path,
    probe: ProbeResult,
    specs: Sequence[RenditionSpec],
    *,
    on_progress: Progress | None = None,
    timeout_s: float | None = None,
) -> TranscodeOutput:
    """Make the renditions, cover and preview of ``source`` under ``workdir/out`` in one ffmpeg
    run, and measure what came out. Raises `FfmpegError` (`FfmpegTimeout`); a `ProbeError` on
    what ffmpeg wrote would be a bug.
    """
    job = build_transcode_job(source, workdir, probe, specs)
    await anyio.to_thread.run_sync(lambda: job.cover.parent.mkdir(parents=True, exist_ok=True))
    await run_ffmpeg(
        job.args,
        timeout_s=timeout_s if timeout_s is not None else transcode_timeout(probe.duration_s),
        on_progress=on_progress,
        duration_s=probe.duration_s,
    )
    renditions = [_rendition(spec.label, await aprobe(path), path) for spec, path in job.renditions]
    return TranscodeOutput(
        renditions=renditions,
        cover=_measure(await aprobe(job.cover), job.cover, still=True),
        preview=_measure(await aprobe(job.preview), job.preview),
    )


def _measure(probe: ProbeResult, path: Path, *, still: bool = False) -> OutputFile:
    video = video_of(probe)
    width, height = video.display_size
    return OutputFile(
        path=path,
        width=width,
        height=height,
        bitrate=None if still else probe.bit_rate,
        duration_s=None if still else probe.duration_s,
    )


def _rendition(label: str, probe: ProbeResult, path: Path) -> RenditionFile:
    out = _measure(probe, path)
    return RenditionFile(out.path, out.width, out.height, out.bitrate, out.duration_s, label)


async def process_media(
    storage: Storage,
    original_key: str,
    media_id: str,
    workdir: Path,
    rules: MediaRules,
    *,
    on_progress: Progress | None = None,
    timeout_s: float | None = None,
    ocr: OcrLimits | None = None,
    version: str | None = None,
) -> ProcessResult:
    """From the original in storage to uploaded renditions, cover and preview.

    Keys are fixed by ``media_id``, the rendition label and ``version``, so running it again (a
    retry, a job delivered twice) overwrites the same objects; a reprocess passes a fresh
    ``version`` so the objects being served are never touched. Scratch files live in a fresh
    directory under ``workdir`` that is removed at the end, whatever happens. Then the text on
    the frames is read off the largest rendition (``ocr``; None: not read), which never fails
    the media.
    Progress: 0.05 once downloaded, up to 0.85 while transcoding, 0.9 when everything is
    uploaded, 1.0 when the text is read.

    Raises `MediaRejected` (final) or `TransientMediaError` (retry); anything else is a bug.
    """
    report = _best_effort(on_progress, media_id)
    await _check_original(storage, original_key, rules)
    async with scratch_dir(workdir, media_id) as scratch:
        source = await download_original(storage, original_key, scratch)
        await report(0.05)
        probe, specs = await _examine(source, rules)

        async def transcode_progress(fraction: float) -> None:
            await report(0.05 + 0.8 * fraction)

        output = await _transcode(
            media_id,
            source,
            scratch,
            probe,
            specs,
            on_progress=transcode_progress if on_progress is not None else None,
            timeout_s=timeout_s,
        )
        stored = await _upload(storage, media_id, output, version)
        await report(0.9)
        largest = output.renditions[0]
        assert probe.duration_s is not None  # validate() refused the file otherwise
        text = await read_video_text(
            largest.path, (largest.width, largest.height), probe.duration_s, ocr
        )
        await report(1.0)
    return replace(_result(probe, stored), text=text)


def _best_effort(on_progress: Progress | None, media_id: str) -> Progress:
    async def report(fraction: float) -> None:
        # As in run_ffmpeg: a progress write that fails must not fail the media.
        if on_progress is not None:
            try:
                await on_progress(fraction)
            except Exception:
                log.warning("progress callback failed for media %s", media_id, exc_info=True)

    return report


async def _check_original(storage: Storage, original_key: str, rules: MediaRules) -> None:
    """Refuse a missing or oversized original before downloading any of it."""
    info = await storage_call(storage.stat(original_key))
    if info is None:
        raise missing_original()
    check_size(info.size, rules)


async def _examine(source: Path, rules: MediaRules) -> tuple[ProbeResult, list[RenditionSpec]]:
    """What the file is, checked against the rules, and the renditions to make of it."""
    try:
        probe = await aprobe(source)
    except ProbeError as exc:
        raise rejection_for_probe_error(exc) from exc
    validate(probe, rules)
    return probe, plan_renditions(probe)


async def _transcode(
    media_id: str,
    source: Path,
    scratch: Path,
    probe: ProbeResult,
    specs: Sequence[RenditionSpec],
    *,
    on_progress: Progress | None,
    timeout_s: float | None,
) -> TranscodeOutput:
    try:
        return await transcode(
            source, scratch, probe, specs, on_progress=on_progress, timeout_s=timeout_s
        )
    except FfmpegError as exc:
        log.warning("ffmpeg failed on media %s: %s", media_id, exc.stderr.strip())
        raise from_ffmpeg(exc) from exc


@dataclass(frozen=True, slots=True)
class _Stored:
    renditions: list[RenditionRecord]
    cover_key: str
    preview_key: str


async def _upload(
    storage: Storage, media_id: str, output: TranscodeOutput, version: str | None
) -> _Stored:
    """Store what ffmpeg made under the media's keys of ``version``."""
    records: list[RenditionRecord] = []
    for rendition in output.renditions:
        key = keys.rendition_key(media_id, rendition.label, version)
        await storage_call(storage.upload_from(rendition.path, key, VIDEO_CONTENT_TYPE))
        records.append(
            RenditionRecord(
                label=rendition.label,
                key=key,
                width=rendition.width,
                height=rendition.height,
                bitrate=rendition.bitrate or 0,
            )
        )
    preview_key = keys.preview_key(media_id, version)
    await storage_call(storage.upload_from(output.preview.path, preview_key, VIDEO_CONTENT_TYPE))
    cover_key = keys.cover_key(media_id, version)
    await storage_call(storage.upload_from(output.cover.path, cover_key, COVER_CONTENT_TYPE))
    return _Stored(records, cover_key, preview_key)


def _result(probe: ProbeResult, stored: _Stored) -> ProcessResult:
    video = video_of(probe)
    width, height = video.display_size
    assert probe.duration_s is not None  # validate() refused the file otherwise
    return ProcessResult(
        duration_s=round(probe.duration_s, 3),
        width=width,
        height=height,
        rotation=video.rotation,
        renditions=stored.renditions,
        cover_key=stored.cover_key,
        preview_key=stored.preview_key,
        source=_source_facts(probe),
    )


def _source_facts(probe: ProbeResult) -> dict[str, Any]:
    video, audio = probe.video, probe.audio
    return {
        "container": container_of(probe),
        "format": probe.format_name,
        "brand": (probe.brand or "").strip() or None,
        "size_bytes": probe.size_bytes,
        "bit_rate": probe.bit_rate,
        "video_codec": video.codec if video else None,
        "stored_width": video.width if video else None,
        "stored_height": video.height if video else None,
        "frame_rate": round(video.frame_rate, 3) if video and video.frame_rate else None,
        "video_bit_rate": video.bit_rate if video else None,
        "pix_fmt": video.pix_fmt if video else None,
        "hdr": video.is_hdr if video else False,
        "audio_codec": audio.codec if audio else None,
        "audio_channels": audio.channels if audio else None,
        "audio_sample_rate": audio.sample_rate if audio else None,
    }
