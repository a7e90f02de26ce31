"""What Kepu accepts as a video and what it makes of one: the checks an upload must pass, the
renditions planned for it, the single ffmpeg run that makes them with a cover and a preview, and
`process_media`, which takes an original from object storage to uploaded renditions.

Free of the database and of HTTP: the worker job records the outcome. Errors come in two kinds:
`MediaRejected` is final (the file itself is the problem; tell the creator ``reason``) and
`TransientMediaError` is worth retrying (storage down, ffmpeg killed or timed out).
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, TypeVar

import anyio.to_thread

from infra.ffmpeg import FfmpegError, ProbeError, ProbeResult, VideoInfo, aprobe, run_ffmpeg
from infra.storage.base import ObjectNotFound, Storage, StorageError

log = logging.getLogger(__name__)

Progress = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")

VIDEO_CONTENT_TYPE = "video/mp4"
COVER_CONTENT_TYPE = "image/jpeg"

# The ladder, by the short side (so a portrait 720x1280 is "720p"). Bit rates are caps
# (-maxrate) on constant-quality encoding: simple pictures come out smaller, busy ones never
# exceed what a phone on a 4G link plays without stalling. 1080p is left out on purpose: it has
# 2.25x the pixels of 720p, so it would more than double the encoding time of the set, for
# little visible gain on a phone screen in a feed.
LADDER: tuple[tuple[int, int, int], ...] = (
    # short side, video bit rate cap, audio bit rate
    (720, 2_000_000, 128_000),
    (480, 900_000, 96_000),
)
# A source between two rungs also gets a rendition at its own size when it is at least this
# much larger than the rung below: a 600p source keeps 600p, a 540p one makes do with 480p.
OWN_SIZE_MARGIN = 1.15
# Wider than 21:9 (panoramas, tickers) is fitted by the long side instead, so a strip never
# becomes a 3000-pixel-wide "480p".
MAX_ASPECT = 7 / 3
MIN_SIDE = 32
MAX_SIDE = 8192  # 8K; larger is no phone's video and only costs decoding time
MAX_FPS = 30.0  # feed video gains nothing from more; 60 fps would double the encoding time
CRF = 23
# x264's "veryfast" is several times faster than its default "medium" and spends somewhat more
# bits for the same quality; on two cores speed is what keeps the queue short.
PRESET = "veryfast"
GOP_SECONDS = 2.0  # a keyframe every 2 s, so seeking in a progressive MP4 lands quickly
COVER_AT_FRACTION = 0.1
COVER_AT_MAX_S = 1.0
COVER_QUALITY = 3  # mjpeg -q:v, 2 (best) … 31
PREVIEW_SECONDS = 3.0
PREVIEW_SHORT_SIDE = 240
PREVIEW_FPS = 15
PREVIEW_CRF = 30
# HDR (PQ or HLG, 10-bit; recent iPhones record it by default) shown as SDR without tone
# mapping looks grey and flat. Linear light, BT.709 primaries, Hable's curve, back to BT.709.
TONEMAP = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
    "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
)

# Time limit of one transcode: a fixed allowance plus a multiple of the duration. Measured on two
# (busy) cores: 1080p → 720p + 480p takes about 30 s per minute of video, 4K about 45 s; 4 s per
# second leaves room for a machine several times busier.
TIMEOUT_BASE_S = 300.0
TIMEOUT_PER_SECOND = 4.0

# The demuxers behind the accepted containers (see `container_of`). The ffmpeg run is forced to
# the demuxer the probe found, so a file is never read one way when checked and another way
# when transcoded.
_MOV_DEMUXER = "mov"
_MATROSKA_DEMUXER = "matroska"
_WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})
_WEBM_AUDIO = frozenset({"opus", "vorbis"})
_IMAGE_DEMUXERS = frozenset({"image2", "gif", "apng", "webp", "ico", "png_pipe"})


class MediaRejected(Exception):
    """The upload cannot become a video, whatever is retried. ``reason`` is for the creator
    (Chinese, then English); ``code`` is stable for code and tests."""

    def __init__(self, reason: str, *, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientMediaError(Exception):
    """Processing failed for a reason outside the file (storage, ffmpeg killed or timed out,
    disk); try again later. The original error is ``__cause__``."""


@dataclass(frozen=True, slots=True)
class MediaRules:
    max_seconds: float
    max_bytes: int
    containers: tuple[str, ...] = ("mp4", "mov", "webm")


@dataclass(frozen=True, slots=True)
class RenditionSpec:
    label: str  # "720p": the short side, whatever the orientation
    width: int  # as displayed (portrait sources give portrait renditions)
    height: int
    video_bitrate: int  # cap, bits per second
    audio_bitrate: int


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


@dataclass(frozen=True, slots=True)
class TranscodeJob:
    """One ffmpeg invocation and the files it writes."""

    args: list[str]
    renditions: list[tuple[RenditionSpec, Path]]
    cover: Path
    preview: Path


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


# -- checks ----------------------------------------------------------------------------------


def container_of(probe: ProbeResult) -> str:
    """The container as `MediaRules.containers` names it: mp4, mov, webm, mkv, or the demuxer.

    One demuxer reads MP4 and QuickTime; the major brand tells them apart (3GP and M4V are
    MP4 under another name). WebM is Matroska restricted to VP8/VP9/AV1 with Opus/Vorbis, and
    only the codecs show which of the two a file is.
    """
    names = probe.format_names
    if _MOV_DEMUXER in names:
        brand = (probe.brand or "").strip().lower()
        return "mov" if brand in ("", "qt") else "mp4"
    if _MATROSKA_DEMUXER in names:
        video_ok = probe.video is not None and probe.video.codec in _WEBM_VIDEO
        audio_ok = probe.audio is None or probe.audio.codec in _WEBM_AUDIO
        return "webm" if video_ok and audio_ok else "mkv"
    return names[0] if names else "unknown"


def _is_image(probe: ProbeResult) -> bool:
    return any(n in _IMAGE_DEMUXERS or n.endswith("_pipe") for n in probe.format_names)


def check_size(size: int, rules: MediaRules) -> None:
    """Reject an empty or oversized file before spending a download on it."""
    if size <= 0:
        raise MediaRejected(
            "文件是空的，请重新上传 / the file is empty; upload it again", code="empty"
        )
    if size > rules.max_bytes:
        zh, en = _size_text(size)
        lzh, len_ = _size_text(rules.max_bytes)
        raise MediaRejected(
            f"文件大小 {zh}，超过上限 {lzh} / the file is {en}; the limit is {len_}",
            code="too_large",
        )


def rejection_for_probe_error(error: ProbeError) -> MediaRejected:
    if error.reason == "the file is empty":
        return MediaRejected(
            "文件是空的，请重新上传 / the file is empty; upload it again", code="empty"
        )
    if error.signature is not None:
        return MediaRejected(
            "视频文件已损坏或不完整（可能上传中断），请重新上传 / the video file is damaged or "
            "incomplete (the upload may have been cut off); upload it again",
            code="corrupt",
        )
    return MediaRejected(
        "无法识别的文件，不是视频 / this is not a video file (we read its contents, not its "
        "name); upload an MP4, MOV or WebM video",
        code="not_video",
    )


def validate(probe: ProbeResult, rules: MediaRules) -> None:
    """Raise `MediaRejected` unless ``probe`` describes a video Kepu accepts under ``rules``."""
    check_size(probe.size_bytes, rules)
    if _is_image(probe):
        raise MediaRejected("这是图片，不是视频 / this is an image, not a video", code="not_video")
    if probe.video is None:
        if probe.audio is not None:
            raise MediaRejected(
                "文件只有声音没有画面 / the file has sound but no picture; upload a video",
                code="audio_only",
            )
        raise MediaRejected("文件里没有视频画面 / the file holds no video", code="not_video")
    container = container_of(probe)
    if container not in rules.containers:
        accepted = ", ".join(c.upper() for c in rules.containers)
        what = container.upper()
        if container == "mkv":
            what = "MKV（或编码不符合 WebM 规范的 WebM）"
        raise MediaRejected(
            f"不支持 {what} 格式，请导出为 {accepted} / {container.upper()} files are not "
            f"accepted; export the video as {accepted}",
            code="unsupported_container",
        )
    duration = probe.duration_s
    if duration is not None and duration > rules.max_seconds:
        zh, en = _duration_text(duration)
        lzh, len_ = _duration_text(rules.max_seconds)
        raise MediaRejected(
            f"视频时长 {zh}，超过上限 {lzh} / the video is {en} long; the limit is {len_}",
            code="too_long",
        )
    if probe.truncated:
        raise MediaRejected(
            "视频文件不完整（可能上传中断），请重新上传 / the video file is incomplete (the "
            "upload may have been cut off); upload it again",
            code="truncated",
        )
    if not probe.decoded:
        raise MediaRejected(
            "视频画面无法解码，文件可能已损坏 / the video's pictures cannot be decoded; the file "
            "may be damaged",
            code="corrupt",
        )
    if duration is None or duration <= 0:
        raise MediaRejected(
            "无法确定视频时长，文件可能已损坏 / cannot tell how long the video is; the file may "
            "be damaged",
            code="corrupt",
        )
    width, height = probe.video.display_size
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise MediaRejected(
            f"视频分辨率 {width}x{height} 不受支持（每边须在 {MIN_SIDE} 到 {MAX_SIDE} 像素之间）"
            f" / a {width}x{height} video is not accepted; each side must be {MIN_SIDE} to "
            f"{MAX_SIDE} pixels",
            code="bad_dimensions",
        )


def _duration_text(seconds: float) -> tuple[str, str]:
    if seconds >= 3600:
        n = f"{round(seconds / 3600, 1):g}"
        return f"{n} 小时", f"{n} h"
    if seconds >= 60:
        n = f"{round(seconds / 60, 1):g}"
        return f"{n} 分钟", f"{n} min"
    n = f"{round(seconds, 1):g}"
    return f"{n} 秒", f"{n} s"


def _size_text(size: int) -> tuple[str, str]:
    if size >= 1024**3:
        text = f"{round(size / 1024**3, 1):g} GB"
    elif size >= 1024**2:
        text = f"{round(size / 1024**2, 1):g} MB"
    else:
        text = f"{size} B"
    return text, text


# -- planning --------------------------------------------------------------------------------


def plan_renditions(probe: ProbeResult) -> list[RenditionSpec]:
    """The renditions for a validated probe, largest first.

    Every rung of `LADDER` the source reaches, at the source's displayed aspect ratio and
    orientation; never larger than the source. A source below the lowest rung gets one rendition
    at its own size, labelled by its short side.
    """
    video = _video(probe)
    width, height = video.display_size
    short = min(width, height)
    specs = [
        _fit(width, height, rung, video_bitrate, audio_bitrate)
        for rung, video_bitrate, audio_bitrate in LADDER
        if rung <= short
    ]
    top_rung = LADDER[0][0]
    own = _even_floor(short)
    if short < top_rung and (not specs or own >= _short(specs[0]) * OWN_SIZE_MARGIN):
        spec = _fit(width, height, own, 0, LADDER[-1][2])
        specs.insert(0, _with_bitrate(spec, _scaled_bitrate(spec.width * spec.height)))
    return specs


def _video(probe: ProbeResult) -> VideoInfo:
    if probe.video is None:
        raise MediaRejected("文件里没有视频画面 / the file holds no video", code="not_video")
    return probe.video


def _fit(
    width: int, height: int, short_side: int, video_bitrate: int, audio_bitrate: int
) -> RenditionSpec:
    short, long = min(width, height), max(width, height)
    scale = min(short_side / short, short_side * MAX_ASPECT / long, 1.0)
    # Rounded to even (4:2:0 chroma needs it) but never past the source's own even size.
    w = min(_even_round(width * scale), _even_floor(width))
    h = min(_even_round(height * scale), _even_floor(height))
    return RenditionSpec(f"{short_side}p", w, h, video_bitrate, audio_bitrate)


def _with_bitrate(spec: RenditionSpec, video_bitrate: int) -> RenditionSpec:
    return RenditionSpec(spec.label, spec.width, spec.height, video_bitrate, spec.audio_bitrate)


def _scaled_bitrate(pixels: int) -> int:
    """A cap for a size between rungs: the 480p rung's bits per pixel, within sane bounds."""
    rung, video_bitrate, _ = LADDER[-1]
    per_pixel = video_bitrate / (rung * rung * 16 / 9)
    return int(min(max(pixels * per_pixel, 200_000), LADDER[0][1]) // 10_000 * 10_000)


def _short(spec: RenditionSpec) -> int:
    return min(spec.width, spec.height)


def _even_round(x: float) -> int:
    return max(2, math.floor(x / 2 + 0.5) * 2)


def _even_floor(x: float) -> int:
    return max(2, math.floor(x / 2) * 2)


# -- transcoding -----------------------------------------------------------------------------


def transcode_timeout(duration_s: float | None) -> float:
    return TIMEOUT_BASE_S + TIMEOUT_PER_SECOND * (duration_s or 0.0)


def build_transcode_job(
    source: Path, workdir: Path, probe: ProbeResult, specs: Sequence[RenditionSpec]
) -> TranscodeJob:
    """The one ffmpeg invocation that writes every rendition, the cover and the preview.

    The source is decoded once; its frames are scaled to the largest rendition (ffmpeg has
    already turned them upright: it applies the display matrix and drops it from the output),
    then split between the encoders, so a 4K source is downscaled once, not once per output.
    """
    if not specs:
        raise ValueError("no renditions planned")
    video = _video(probe)
    top = specs[0]
    rate = _output_rate(video.frame_rate)
    gop = max(1, round((rate or 30.0) * GOP_SECONDS))
    cover_frame = _cover_frame(video, rate)
    preview = _fit(top.width, top.height, min(PREVIEW_SHORT_SIDE, _short(top)), 0, 0)

    branches = [f"r{i}" for i in range(len(specs))] + ["cover", "preview"]
    head = f"[0:{video.index}]"
    if rate is not None:
        head += f"fps={rate:.6g},"
    head += f"scale={top.width}:{top.height}:out_range=limited,setsar=1,"
    if video.is_hdr:
        # Downscaled first: tone mapping works in 32-bit float RGB, cheap only on small frames.
        head += TONEMAP + ","
    graph = [f"{head}split={len(branches)}" + "".join(f"[{b}]" for b in branches)]
    for i, spec in enumerate(specs):
        scale = "" if i == 0 else f"scale={spec.width}:{spec.height},setsar=1,"
        graph.append(f"[r{i}]{scale}format=yuv420p[out{i}]")
    # One frame, then trim ends the branch so it stops taking frames from split. Its own scale
    # converts to the full range JPEG wants; without one, format negotiation would push full
    # range back through split into every rendition.
    graph.append(
        f"[cover]select='gte(n\\,{cover_frame})',trim=end_frame=1,scale=out_range=full[outcover]"
    )
    graph.append(
        f"[preview]trim=duration={PREVIEW_SECONDS:g},setpts=PTS-STARTPTS,fps={PREVIEW_FPS},"
        f"scale={preview.width}:{preview.height},setsar=1,format=yuv420p[outpreview]"
    )

    out = workdir / "out"
    args = [
        "-y",
        # Read only this file, with the demuxer the probe used: a playlist or concat file
        # posing as a video cannot make ffmpeg open other files or URLs.
        "-protocol_whitelist", "file",
        "-f", probe.format_names[0],
        "-i", str(source),
        "-filter_complex", ";".join(graph),
    ]  # fmt: skip
    renditions: list[tuple[RenditionSpec, Path]] = []
    for i, spec in enumerate(specs):
        path = out / f"{spec.label}.mp4"
        renditions.append((spec, path))
        args += ["-map", f"[out{i}]", *_x264(spec, gop)]
        if probe.audio is not None:
            args += ["-map", f"0:{probe.audio.index}", *_aac(probe, spec.audio_bitrate)]
        args += _mp4_tail(path)
    cover = out / "cover.jpg"
    args += ["-map", "[outcover]", "-frames:v", "1", "-update", "1"]
    args += ["-q:v", str(COVER_QUALITY), "-map_metadata", "-1", str(cover)]
    preview_path = out / "preview.mp4"
    args += ["-map", "[outpreview]", "-an", "-c:v", "libx264", "-preset", PRESET]
    args += ["-profile:v", "main", "-crf", str(PREVIEW_CRF), "-g", str(PREVIEW_FPS * 2)]
    args += _mp4_tail(preview_path)
    return TranscodeJob(args, renditions, cover, preview_path)


def _cover_frame(video: VideoInfo, rate: float | None) -> int:
    """The number of the frame to take as cover: about 10% in, at most 1 s in.

    Counted in frames of the video stream, not in seconds of the file: a still picture over
    a minute of sound has one frame at 0 s and none at 6 s, and a cover must come out anyway.
    """
    fps = rate or video.frame_rate
    if not fps or not video.duration_s or video.frames <= 1:
        return 0
    at = min(video.duration_s * COVER_AT_FRACTION, COVER_AT_MAX_S)
    return min(math.floor(at * fps), math.floor(video.frames * COVER_AT_FRACTION))


def _output_rate(rate: float | None) -> float | None:
    """The frame rate to encode at, or None to keep the source's timing (including VFR)."""
    if rate is None or rate <= MAX_FPS + 2:
        return None
    half = rate / 2
    # Halving keeps motion even (60→30, 50→25); odd rates fall back to 30.
    return half if 23 <= half <= MAX_FPS + 2 else MAX_FPS


def _x264(spec: RenditionSpec, gop: int) -> list[str]:
    profile = "high" if _short(spec) >= 720 else "main"
    return [
        "-c:v", "libx264", "-preset", PRESET, "-profile:v", profile,
        "-crf", str(CRF),
        "-maxrate", str(spec.video_bitrate), "-bufsize", str(2 * spec.video_bitrate),
        "-g", str(gop), "-pix_fmt", "yuv420p",
    ]  # fmt: skip


def _aac(probe: ProbeResult, bitrate: int) -> list[str]:
    assert probe.audio is not None
    channels = min(max(probe.audio.channels, 1), 2)  # surround to stereo; mono stays mono
    args = ["-c:a", "aac", "-b:a", str(min(bitrate, 64_000 * channels)), "-ac", str(channels)]
    if probe.audio.sample_rate > 48_000:
        args += ["-ar", "48000"]
    return args


def _mp4_tail(path: Path) -> list[str]:
    # No metadata from the original: phones write the place a video was shot into it.
    return [
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-movflags", "+faststart", "-f", "mp4", str(path),
    ]  # fmt: skip


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
    run, and measure what came out. Raises `FfmpegError` (`FfmpegTimeout`) or `ProbeError`.
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
    video = _video(probe)
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


# -- the whole job ---------------------------------------------------------------------------


def media_key(media_id: str, name: str) -> str:
    return f"media/{media_id}/{name}"


async def process_media(
    storage: Storage,
    original_key: str,
    media_id: str,
    workdir: Path,
    rules: MediaRules,
    *,
    on_progress: Progress | None = None,
    timeout_s: float | None = None,
) -> ProcessResult:
    """From the original in storage to uploaded renditions, cover and preview.

    Keys are fixed by ``media_id`` and the rendition label, so running it again (a retry, a
    job delivered twice) overwrites the same objects. Scratch files live in a fresh directory
    under ``workdir`` that is removed at the end, whatever happens. Progress: 0.05 once
    downloaded, up to 0.95 while transcoding, 1.0 when everything is uploaded.

    Raises `MediaRejected` (final) or `TransientMediaError` (retry).
    """

    async def report(fraction: float) -> None:
        # Best-effort, as in run_ffmpeg: a progress write that fails must not fail the media.
        if on_progress is not None:
            try:
                await on_progress(fraction)
            except Exception:
                log.warning("progress callback failed for media %s", media_id, exc_info=True)

    info = await storage_call(storage.stat(original_key))
    if info is None:
        raise missing_original()
    check_size(info.size, rules)

    scratch = Path(
        await anyio.to_thread.run_sync(lambda: tempfile.mkdtemp(prefix=f"{media_id}-", dir=workdir))
    )
    try:
        source = scratch / "original"
        try:
            await storage_call(storage.download_to(original_key, source))
        except ObjectNotFound as exc:
            raise missing_original() from exc
        await report(0.05)

        try:
            probe = await aprobe(source)
        except ProbeError as exc:
            raise rejection_for_probe_error(exc) from exc
        validate(probe, rules)
        specs = plan_renditions(probe)

        async def transcode_progress(fraction: float) -> None:
            await report(0.05 + 0.9 * fraction)

        try:
            output = await transcode(
                source,
                scratch,
                probe,
                specs,
                on_progress=transcode_progress if on_progress is not None else None,
                timeout_s=timeout_s,
            )
        except (FfmpegError, ProbeError) as exc:
            raise TransientMediaError(f"视频处理失败 / processing failed: {exc}") from exc

        records: list[RenditionRecord] = []
        for rendition in output.renditions:
            key = media_key(media_id, f"{rendition.label}.mp4")
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
        preview_key = media_key(media_id, "preview.mp4")
        await storage_call(
            storage.upload_from(output.preview.path, preview_key, VIDEO_CONTENT_TYPE)
        )
        cover_key = media_key(media_id, "cover.jpg")
        await storage_call(storage.upload_from(output.cover.path, cover_key, COVER_CONTENT_TYPE))
        await report(1.0)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: shutil.rmtree(scratch, ignore_errors=True))

    video = _video(probe)
    width, height = video.display_size
    assert probe.duration_s is not None  # validate() refused the file otherwise
    return ProcessResult(
        duration_s=round(probe.duration_s, 3),
        width=width,
        height=height,
        rotation=video.rotation,
        renditions=records,
        cover_key=cover_key,
        preview_key=preview_key,
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


def missing_original() -> MediaRejected:
    return MediaRejected(
        "找不到上传的原始文件，请重新上传 / the uploaded file is gone; upload it again",
        code="missing_original",
    )


async def storage_call(call: Awaitable[_T]) -> _T:
    """Await a storage call; failures other than a missing object are worth a retry."""
    try:
        return await call
    except ObjectNotFound:
        raise
    except (StorageError, OSError) as exc:
        raise TransientMediaError(f"存储暂时不可用 / storage failed: {exc}") from exc
