"""How a validated video is turned into renditions: the ladder of sizes and bit rates, and the
arguments of the single ffmpeg run that writes every rendition, the cover and the preview.
Pure computation: nothing here runs ffmpeg or touches storage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from content.media.video_checks import video_of
from infra.media_probe import AudioInfo, ProbeResult, VideoInfo

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


@dataclass(frozen=True, slots=True)
class RenditionSpec:
    label: str  # "720p": the short side, whatever the orientation
    width: int  # as displayed (portrait sources give portrait renditions)
    height: int
    video_bitrate: int  # cap, bits per second
    audio_bitrate: int


@dataclass(frozen=True, slots=True)
class TranscodeJob:
    """One ffmpeg invocation and the files it writes."""

    args: list[str]
    renditions: list[tuple[RenditionSpec, Path]]
    cover: Path
    preview: Path


def plan_renditions(probe: ProbeResult) -> list[RenditionSpec]:
    """The renditions for a validated probe, largest first.

    Every rung of `LADDER` the source reaches, at the source's displayed aspect ratio and
    orientation; never larger than the source. A source below the lowest rung gets one rendition
    at its own size, labelled by its short side.
    """
    width, height = video_of(probe).display_size
    return plan_for_size(width, height)


def plan_for_size(width: int, height: int) -> list[RenditionSpec]:
    """`plan_renditions` for a source of this displayed size (also: which renditions a ready
    video would get from the current plan, for `kepu media reprocess --missing`)."""
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
    video = video_of(probe)
    top = specs[0]
    rate = _output_rate(video.frame_rate)
    gop = max(1, round((rate or 30.0) * GOP_SECONDS))
    preview = _fit(top.width, top.height, min(PREVIEW_SHORT_SIDE, _short(top)), 0, 0)
    graph = _filter_graph(video, specs, rate, _cover_frame(video, rate), preview)
    out = workdir / "out"
    renditions = [(spec, out / f"{spec.label}.mp4") for spec in specs]
    cover, preview_path = out / "cover.jpg", out / "preview.mp4"
    args = [
        *_input_args(source, probe, graph),
        *_rendition_args(renditions, probe, gop),
        *_cover_args(cover),
        *_preview_args(preview_path),
    ]
    return TranscodeJob(args, renditions, cover, preview_path)


def _filter_graph(
    video: VideoInfo,
    specs: Sequence[RenditionSpec],
    rate: float | None,
    cover_frame: int,
    preview: RenditionSpec,
) -> str:
    """Scale once to the largest rendition, then split: one branch per rendition, the cover's
    and the preview's."""
    top = specs[0]
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
    return ";".join(graph)


def _input_args(source: Path, probe: ProbeResult, graph: str) -> list[str]:
    return [
        "-y",
        # Read only this file, with the demuxer the probe used: a playlist or concat file
        # posing as a video cannot make ffmpeg open other files or URLs.
        "-protocol_whitelist", "file",
        "-f", probe.format_names[0],
        "-i", str(source),
        "-filter_complex", graph,
    ]  # fmt: skip


def _rendition_args(
    renditions: Sequence[tuple[RenditionSpec, Path]], probe: ProbeResult, gop: int
) -> list[str]:
    args: list[str] = []
    for i, (spec, path) in enumerate(renditions):
        args += ["-map", f"[out{i}]", *_x264(spec, gop)]
        if probe.audio is not None:
            args += ["-map", f"0:{probe.audio.index}", *_aac(probe.audio, spec.audio_bitrate)]
        args += _mp4_tail(path)
    return args


def _cover_args(cover: Path) -> list[str]:
    return [
        "-map", "[outcover]", "-frames:v", "1", "-update", "1",
        "-q:v", str(COVER_QUALITY), "-map_metadata", "-1", str(cover),
    ]  # fmt: skip


def _preview_args(path: Path) -> list[str]:
    args = ["-map", "[outpreview]", "-an", "-c:v", "libx264", "-preset", PRESET]
    args += ["-profile:v", "main", "-crf", str(PREVIEW_CRF), "-g", str(PREVIEW_FPS * 2)]
    return args + _mp4_tail(path)


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


def _aac(audio: AudioInfo, bitrate: int) -> list[str]:
    channels = min(max(audio.channels, 1), 2)  # surround to stereo; mono stays mono
    args = ["-c:a", "aac", "-b:a", str(min(bitrate, 64_000 * channels)), "-ac", str(channels)]
    if audio.sample_rate > 48_000:
        args += ["-ar", "48000"]
    return args


def _mp4_tail(path: Path) -> list[str]:
    # No metadata from the original: phones write the place a video was shot into it.
    return [
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-movflags", "+faststart", "-f", "mp4", str(path),
    ]  # fmt: skip
