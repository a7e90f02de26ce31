"""ffmpeg plumbing: where the binary is, what a media file really contains (probed with PyAV on
its bytes), and running ffmpeg as a bounded, killable subprocess that reports progress.

Nothing here knows what Kepu accepts or produces; `content.transcode` holds those rules.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from subprocess import DEVNULL, PIPE
from typing import Any

import anyio
import anyio.to_thread
import av
import imageio_ffmpeg
from anyio.abc import ByteReceiveStream
from anyio.lowlevel import RunVar

log = logging.getLogger(__name__)

# Options every invocation gets: never read the terminal (a worker has none, and ffmpeg would
# stop on a stray "q"), print only errors, and report progress as key=value lines on stdout.
_GLOBAL_ARGS = ("-nostdin", "-hide_banner", "-loglevel", "error")
_PROGRESS_ARGS = ("-nostats", "-progress", "pipe:1")
_STDERR_TAIL = 4096
_PROGRESS_INTERVAL_S = 1.0

# Demuxers that read nothing but the file itself. Playlists (hls, dash), concat lists and the
# like can name other files or URLs; a text file posing as a video must not get ffmpeg to open
# them. Image and audio-only formats stay readable so a wrong upload can be named precisely.
SAFE_DEMUXERS = (
    "mov", "matroska", "avi", "flv", "mpegts", "mpeg", "asf", "ogg",
    "mp3", "wav", "flac", "aac", "amr",
    "image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif", "apng",
)  # fmt: skip
_OPEN_OPTIONS = {"format_whitelist": ",".join(SAFE_DEMUXERS), "protocol_whitelist": "file"}

# Media data that ends this much before the declared duration means the upload was cut off.
_TRUNCATED_RATIO = 0.95
_TRUNCATED_SLACK_S = 0.25
# A decoder may hold back a few packets (B-frames, frame threads) before its first frame; a
# stream that yields nothing after this many packets does not decode.
_FIRST_FRAME_PACKETS = 256

# AVColorTransferCharacteristic values (libavutil/pixfmt.h).
_TRC_UNSPECIFIED = 2
_TRC_SMPTE2084 = 16
_TRC_ARIB_STD_B67 = 18

# Linux only: a launcher that asks the kernel to SIGKILL ffmpeg when the process that started it
# dies, then execs ffmpeg in place (same pid). Without it a SIGKILLed worker leaves ffmpeg
# running, burning both cores for minutes and racing the job's next try for the same files.
# The parent pid is passed in and compared, in case the parent died before prctl took effect.
# (The kernel ties this to the thread that forked: asyncio forks in the event loop's thread,
# which lives as long as the worker.)
_PDEATHSIG_LAUNCHER = (
    "import ctypes,os,signal,sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)\n"  # PR_SET_PDEATHSIG
    "os.getppid() == int(sys.argv[1]) or os._exit(137)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


class ProbeError(Exception):
    """The file is not media PyAV can read: not a container it knows, empty, or cut off before
    its index. ``reason`` is plain text; ``signature`` names the container the first bytes
    claim (``"mp4"``, ``"matroska"``) when there is one, which tells a damaged video apart from
    a file that never was one."""

    def __init__(self, reason: str, *, signature: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.signature = signature


class FfmpegError(Exception):
    """ffmpeg exited with an error or was killed. The message ends with the tail of its stderr."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class FfmpegTimeout(FfmpegError):
    """ffmpeg ran longer than its time limit and was killed."""


@dataclass(frozen=True, slots=True)
class VideoInfo:
    index: int  # stream index in the container, for ffmpeg's ``-map 0:<index>``
    codec: str
    width: int  # the stored frame, before rotation
    height: int
    # Degrees a player turns the stored frame clockwise to show it upright: 0, 90, 180 or 270
    # (the convention of the old ``rotate`` tag; the display matrix stores the opposite sign).
    rotation: int
    frame_rate: float | None
    bit_rate: int | None  # declared, else measured from the packets
    pix_fmt: str | None
    sample_aspect_ratio: Fraction = Fraction(1)
    frames: int = 0  # packets counted in the file (one picture each)
    duration_s: float | None = None  # what the video packets span; audio may run longer
    # FFmpeg's AVColorTransferCharacteristic of the pictures (2: unspecified).
    color_transfer: int = _TRC_UNSPECIFIED

    @property
    def is_hdr(self) -> bool:
        """PQ (HDR10, Dolby Vision) or HLG, as recent phones record by default."""
        return self.color_transfer in (_TRC_SMPTE2084, _TRC_ARIB_STD_B67)

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as a viewer sees them: square pixels, rotation applied."""
        width = max(1, round(self.width * self.sample_aspect_ratio))
        if self.rotation in (90, 270):
            return self.height, width
        return width, self.height


@dataclass(frozen=True, slots=True)
class AudioInfo:
    index: int
    codec: str
    channels: int
    sample_rate: int
    bit_rate: int | None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    format_names: tuple[str, ...]  # PyAV's demuxer names, e.g. ("matroska", "webm")
    brand: str | None  # the ISO-BMFF major brand ("isom", "qt  ", "M4A "…) when there is one
    size_bytes: int
    duration_s: float | None  # declared by the container, else measured from the packets
    media_duration_s: float | None  # what the packets really span
    bit_rate: int | None
    video: VideoInfo | None  # the first real video stream (cover art is not one)
    audio: AudioInfo | None
    decoded: bool  # the first video frame decoded
    decode_error: str | None
    truncated: bool  # the packets end well before the declared duration

    @property
    def format_name(self) -> str:
        return ",".join(self.format_names)


@cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel (or ``IMAGEIO_FFMPEG_EXE``)."""
    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


def ffmpeg_command(args: list[str], *, progress: bool = False) -> list[str]:
    """The full command line `run_ffmpeg` runs for ``args`` (less the Linux launcher)."""
    return [ffmpeg_exe(), *_GLOBAL_ARGS, *(_PROGRESS_ARGS if progress else ()), *args]


# -- probing ---------------------------------------------------------------------------------


def probe(path: Path) -> ProbeResult:
    """What ``path`` contains, read from its bytes (the name is never consulted).

    Demuxes every packet (cheap: no decoding) to measure the real duration and bit rates and
    to notice a file cut off mid-way, and decodes the first video frame to notice a stream that
    does not decode at all. Blocking: use `aprobe` from async code. Raises `ProbeError`.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ProbeError(f"cannot read the file: {exc.strerror or exc}") from exc
    if size == 0:
        raise ProbeError("the file is empty")
    try:
        container = av.open(
            str(path), mode="r", container_options=_OPEN_OPTIONS, metadata_errors="ignore"
        )
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise ProbeError(
            f"not a media file PyAV can open: {_av_message(exc)}", signature=_signature(path)
        ) from exc
    with container:
        if not container.streams.video and not container.streams.audio:
            raise ProbeError("the file holds no audio or video streams", signature=_signature(path))
        return _probe_open(container, size)


async def aprobe(path: Path) -> ProbeResult:
    """`probe` in a worker thread, so the event loop keeps running."""
    return await anyio.to_thread.run_sync(probe, path)


def _probe_open(container: Any, size: int) -> ProbeResult:
    video_stream = next(
        (
            s
            for s in container.streams.video
            if not s.disposition & av.stream.Disposition.attached_pic
        ),
        None,
    )
    audio_stream = container.streams.audio[0] if container.streams.audio else None
    wanted = [s for s in (video_stream, audio_stream) if s is not None]
    for stream in container.streams:
        if stream not in wanted:
            stream.discard = av.stream.Discard.all  # not even parsed

    start = container.start_time / av.time_base if container.start_time is not None else None
    ends: dict[int, float] = {}
    starts: dict[int, float] = {}
    sizes: dict[int, int] = {}
    counts: dict[int, int] = {}
    first_frame: Any = None
    decode_error: str | None = None
    read_error: str | None = None
    video_packets = 0
    try:
        for packet in container.demux(wanted):
            stream = packet.stream
            if packet.size:  # not the empty packet PyAV adds at the end to flush decoders
                sizes[stream.index] = sizes.get(stream.index, 0) + packet.size
                counts[stream.index] = counts.get(stream.index, 0) + 1
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is not None and packet.time_base is not None:
                t0 = float(ts * packet.time_base)
                t1 = float((ts + (packet.duration or 0)) * packet.time_base)
                starts[stream.index] = min(starts.get(stream.index, t0), t0)
                ends[stream.index] = max(ends.get(stream.index, t1), t1)
            if (
                stream is video_stream
                and first_frame is None
                and video_packets < _FIRST_FRAME_PACKETS
            ):
                video_packets += 1
                try:
                    # A flush packet (size 0) at the end drains what the decoder held back.
                    frames = packet.decode()
                except av.FFmpegError as exc:
                    # One damaged packet is not yet a damaged stream: keep trying a while.
                    decode_error = _av_message(exc)
                    continue
                if frames:
                    first_frame = frames[0]
    except av.FFmpegError as exc:
        # A read error mid-file: treat like a file that ends there (`truncated` tells).
        read_error = _av_message(exc)

    if first_frame is not None:
        decode_error = read_error
    elif video_stream is not None:
        decode_error = decode_error or read_error or "no picture decoded from the video stream"

    media_duration: float | None = None
    if ends:
        media_start = min(starts.values()) if start is None else min(start, *starts.values())
        media_duration = max(0.0, max(ends.values()) - media_start)
    declared = container.duration / av.time_base if container.duration else None
    duration = declared if declared else media_duration
    truncated = bool(
        declared
        and media_duration is not None
        and media_duration < declared * _TRUNCATED_RATIO - _TRUNCATED_SLACK_S
    )

    def span(index: int) -> float | None:
        return ends[index] - starts[index] if index in ends else None

    def measured_rate(index: int) -> int | None:
        seconds = span(index)
        return round(sizes[index] * 8 / seconds) if index in sizes and seconds else None

    video = None
    if video_stream is not None:
        cc = video_stream.codec_context
        rate = video_stream.average_rate or video_stream.guessed_rate
        sar = cc.sample_aspect_ratio
        video = VideoInfo(
            index=video_stream.index,
            codec=cc.name,
            width=int(first_frame.width if first_frame is not None else cc.width),
            height=int(first_frame.height if first_frame is not None else cc.height),
            rotation=_rotation(first_frame, video_stream),
            frame_rate=float(rate) if rate else None,
            bit_rate=cc.bit_rate or measured_rate(video_stream.index),
            pix_fmt=cc.pix_fmt,
            sample_aspect_ratio=Fraction(sar) if sar and sar > 0 else Fraction(1),
            frames=counts.get(video_stream.index, 0),
            duration_s=span(video_stream.index),
            color_transfer=_color_transfer(first_frame, cc),
        )
    audio = None
    if audio_stream is not None:
        cc = audio_stream.codec_context
        audio = AudioInfo(
            index=audio_stream.index,
            codec=cc.name,
            channels=int(cc.channels),
            sample_rate=int(cc.sample_rate),
            bit_rate=cc.bit_rate or measured_rate(audio_stream.index),
        )
    bit_rate = container.bit_rate or (round(size * 8 / duration) if duration else None)
    return ProbeResult(
        format_names=tuple(container.format.name.split(",")),
        brand=container.metadata.get("major_brand"),
        size_bytes=size,
        duration_s=duration,
        media_duration_s=media_duration,
        bit_rate=bit_rate,
        video=video,
        audio=audio,
        decoded=first_frame is not None,
        decode_error=decode_error,
        truncated=truncated,
    )


def _rotation(frame: Any, stream: Any) -> int:
    """Clockwise display rotation, snapped to a quarter turn."""
    degrees: float | None = None
    if frame is not None:
        # The decoder hands the stream's display matrix to each frame; PyAV reads it as the
        # counter-clockwise angle (av_display_rotation_get), hence the minus sign.
        with contextlib.suppress(AttributeError, TypeError, ValueError):
            angle = frame.rotation
            if angle is not None:
                degrees = -float(angle)
    if degrees is None:
        # Files from before display matrices, read by an FFmpeg that leaves the tag alone.
        with contextlib.suppress(ValueError):
            degrees = float(stream.metadata.get("rotate", 0))
    return round((degrees or 0.0) / 90) % 4 * 90


def _color_transfer(frame: Any, codec_context: Any) -> int:
    for source in (frame, codec_context):
        with contextlib.suppress(AttributeError, TypeError, ValueError):
            value = int(source.color_trc)
            if value != _TRC_UNSPECIFIED:
                return value
    return _TRC_UNSPECIFIED


def _signature(path: Path) -> str | None:
    """The container the first bytes claim to be, if any."""
    try:
        with path.open("rb") as file:
            head = file.read(12)
    except OSError:
        return None
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    return None


def _av_message(exc: BaseException) -> str:
    message = getattr(exc, "strerror", None) or str(exc)
    return str(message)


# -- running ---------------------------------------------------------------------------------

_max_concurrent = 1
# One limiter per event loop: anyio primitives belong to the loop that made them, and tests and
# benchmarks start several loops in one process.
_limiter: RunVar[anyio.CapacityLimiter] = RunVar("ffmpeg_limiter")


def set_max_concurrent(n: int) -> None:
    """Allow at most ``n`` ffmpeg processes at once in this process (default 1).

    ffmpeg already uses every core; two at once only make both slower and starve the API.
    """
    global _max_concurrent
    if n < 1:
        raise ValueError("at least one ffmpeg process must be allowed")
    _max_concurrent = n
    with contextlib.suppress(LookupError, RuntimeError):  # no event loop or no limiter yet
        _limiter.get().total_tokens = n


def _get_limiter() -> anyio.CapacityLimiter:
    try:
        limiter = _limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(_max_concurrent)
        _limiter.set(limiter)
    if limiter.total_tokens != _max_concurrent:
        limiter.total_tokens = _max_concurrent
    return limiter


async def run_ffmpeg(
    args: list[str],
    *,
    timeout_s: float,
    on_progress: Callable[[float], Awaitable[None]] | None = None,
    duration_s: float | None = None,
) -> None:
    """Run ``ffmpeg <args>`` and wait for it without blocking the event loop.

    Waits for a free slot first (see `set_max_concurrent`); ``timeout_s`` counts from the
    start of the process. ``on_progress`` gets the fraction done (0..1, from the output time
    over ``duration_s``) at most about once a second, and 1.0 at the end; if it raises, the
    error is logged and progress stops, the transcode goes on. On timeout or cancellation
    ffmpeg is killed and reaped before this returns. Raises `FfmpegError` (non-zero exit or
    killed by a signal) or `FfmpegTimeout`.
    """
    command = ffmpeg_command(args, progress=True)
    if sys.platform == "linux":
        command = [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _PDEATHSIG_LAUNCHER,
            str(os.getpid()),
            *command,
        ]
    reporter = _Reporter(on_progress if duration_s else None)
    async with _get_limiter():
        process = await anyio.open_process(command, stdin=DEVNULL, stdout=PIPE, stderr=PIPE)
        tail = bytearray()
        try:
            returncode: int | None = None
            with anyio.move_on_after(timeout_s):
                async with anyio.create_task_group() as tg:
                    assert process.stderr is not None and process.stdout is not None
                    tg.start_soon(_keep_tail, process.stderr, tail)
                    await _follow_progress(process.stdout, reporter, duration_s or 0.0)
                    returncode = await process.wait()
            if returncode is None:
                raise FfmpegTimeout(
                    f"ffmpeg ran longer than {timeout_s:g} s and was killed",
                    stderr=_text(tail),
                )
        finally:
            if process.returncode is None:
                process.kill()
            # Reap it even when we are being cancelled, so no zombie or orphan is left behind.
            with anyio.CancelScope(shield=True):
                await process.aclose()
    if returncode != 0:
        stderr = _text(tail)
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited {returncode}"
        raise FfmpegError(
            f"ffmpeg {how}: {stderr.strip() or '(no message)'}",
            returncode=returncode,
            stderr=stderr,
        )
    await reporter(1.0)


class _Reporter:
    """Calls ``on_progress`` best-effort: progress is for people watching, so a failure to
    record it (the database busy for a moment) is logged once and must not kill a transcode."""

    def __init__(self, on_progress: Callable[[float], Awaitable[None]] | None) -> None:
        self._on_progress = on_progress

    async def __call__(self, fraction: float) -> None:
        if self._on_progress is None:
            return
        try:
            await self._on_progress(fraction)
        except Exception:
            log.warning("progress callback failed; no more progress for this run", exc_info=True)
            self._on_progress = None

    @property
    def active(self) -> bool:
        return self._on_progress is not None


async def _keep_tail(stream: ByteReceiveStream, tail: bytearray) -> None:
    async for chunk in stream:
        tail += chunk
        if len(tail) > 2 * _STDERR_TAIL:
            del tail[:-_STDERR_TAIL]


async def _follow_progress(stream: ByteReceiveStream, report: _Reporter, duration_s: float) -> None:
    """Read ffmpeg's ``-progress`` lines to the end, reporting at most once a second.

    The pipe is always drained, even without a callback: a full pipe would stall ffmpeg.
    """
    buffer = b""
    last_report = -_PROGRESS_INTERVAL_S
    async for chunk in stream:
        if not report.active:
            continue
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            key, _, value = line.decode("ascii", "replace").strip().partition("=")
            if key != "out_time_us" or not value.isdigit():
                continue
            now = anyio.current_time()
            if now - last_report >= _PROGRESS_INTERVAL_S:
                last_report = now
                fraction = int(value) / 1e6 / duration_s
                # Short of 1.0 until ffmpeg has exited well: the last step is ours to report.
                await report(min(max(fraction, 0.0), 0.99))


def _text(tail: bytearray) -> str:
    return bytes(tail[-_STDERR_TAIL:]).decode("utf-8", "replace")
