"""What a media file really contains, read from its bytes with PyAV (the file name and the
declared type are never consulted): containers, streams, duration, whether it decodes and
whether it was cut off. Nothing here knows what Kepu accepts; `content.media.video_checks` does.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import anyio.to_thread
import av

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


class ProbeError(Exception):
    """The file is not media PyAV can read: not a container it knows, empty, or cut off before
    its index. ``reason`` is plain text; ``signature`` names the container the first bytes
    claim (``"mp4"``, ``"matroska"``) when there is one, which tells a damaged video apart from
    a file that never was one."""

    def __init__(self, reason: str, *, signature: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.signature = signature


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


@dataclass
class _Tally:
    """What demuxing every packet found, per stream index: time span, bytes, packets."""

    starts: dict[int, float] = field(default_factory=dict)
    ends: dict[int, float] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)

    def add(self, packet: Any) -> None:
        index = packet.stream.index
        if packet.size:  # not the empty packet PyAV adds at the end to flush decoders
            self.sizes[index] = self.sizes.get(index, 0) + packet.size
            self.counts[index] = self.counts.get(index, 0) + 1
        ts = packet.pts if packet.pts is not None else packet.dts
        if ts is None or packet.time_base is None:
            return
        t0 = float(ts * packet.time_base)
        t1 = float((ts + (packet.duration or 0)) * packet.time_base)
        self.starts[index] = min(self.starts.get(index, t0), t0)
        self.ends[index] = max(self.ends.get(index, t1), t1)

    def span(self, index: int) -> float | None:
        return self.ends[index] - self.starts[index] if index in self.ends else None

    def measured_rate(self, index: int) -> int | None:
        seconds = self.span(index)
        return round(self.sizes[index] * 8 / seconds) if index in self.sizes and seconds else None

    def media_duration(self, container_start: float | None) -> float | None:
        """What the packets of all streams span, from the container's start when it has one."""
        if not self.ends:
            return None
        first = min(self.starts.values())
        if container_start is not None:
            first = min(first, container_start)
        return max(0.0, max(self.ends.values()) - first)


@dataclass
class _FirstFrame:
    """Decodes the video stream's packets until one picture comes out (or a limit is hit)."""

    frame: Any = None
    error: str | None = None
    packets: int = 0

    def feed(self, packet: Any) -> None:
        if self.frame is not None or self.packets >= _FIRST_FRAME_PACKETS:
            return
        self.packets += 1
        try:
            # A flush packet (size 0) at the end drains what the decoder held back.
            frames = packet.decode()
        except av.FFmpegError as exc:
            # One damaged packet is not yet a damaged stream: keep trying a while.
            self.error = _av_message(exc)
            return
        if frames:
            self.frame = frames[0]


def _pick_streams(container: Any) -> tuple[Any, Any]:
    """The first real video stream (cover art is not one) and the first audio stream; every
    other stream is discarded, not even parsed."""
    video = next(
        (
            s
            for s in container.streams.video
            if not s.disposition & av.stream.Disposition.attached_pic
        ),
        None,
    )
    audio = container.streams.audio[0] if container.streams.audio else None
    for stream in container.streams:
        if stream is not video and stream is not audio:
            stream.discard = av.stream.Discard.all
    return video, audio


def _demux(container: Any, wanted: list[Any], video: Any) -> tuple[_Tally, _FirstFrame, str | None]:
    """Read every packet of the wanted streams (no decoding but the first video frame).

    A read error mid-file ends the reading as if the file ended there (`truncated` tells).
    """
    tally, first = _Tally(), _FirstFrame()
    try:
        for packet in container.demux(wanted):
            tally.add(packet)
            if packet.stream is video:
                first.feed(packet)
    except av.FFmpegError as exc:
        return tally, first, _av_message(exc)
    return tally, first, None


def _decode_error(first: _FirstFrame, read_error: str | None, has_video: bool) -> str | None:
    if first.frame is not None:
        return read_error
    if not has_video:
        return None
    return first.error or read_error or "no picture decoded from the video stream"


def _video_info(stream: Any, first_frame: Any, tally: _Tally) -> VideoInfo:
    cc = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate
    sar = cc.sample_aspect_ratio
    return VideoInfo(
        index=stream.index,
        codec=cc.name,
        width=int(first_frame.width if first_frame is not None else cc.width),
        height=int(first_frame.height if first_frame is not None else cc.height),
        rotation=_rotation(first_frame, stream),
        frame_rate=float(rate) if rate else None,
        bit_rate=cc.bit_rate or tally.measured_rate(stream.index),
        pix_fmt=cc.pix_fmt,
        sample_aspect_ratio=Fraction(sar) if sar and sar > 0 else Fraction(1),
        frames=tally.counts.get(stream.index, 0),
        duration_s=tally.span(stream.index),
        color_transfer=_color_transfer(first_frame, cc),
    )


def _audio_info(stream: Any, tally: _Tally) -> AudioInfo:
    cc = stream.codec_context
    return AudioInfo(
        index=stream.index,
        codec=cc.name,
        channels=int(cc.channels),
        sample_rate=int(cc.sample_rate),
        bit_rate=cc.bit_rate or tally.measured_rate(stream.index),
    )


def _probe_open(container: Any, size: int) -> ProbeResult:
    video_stream, audio_stream = _pick_streams(container)
    wanted = [s for s in (video_stream, audio_stream) if s is not None]
    tally, first, read_error = _demux(container, wanted, video_stream)

    start = container.start_time / av.time_base if container.start_time is not None else None
    media_duration = tally.media_duration(start)
    declared = container.duration / av.time_base if container.duration else None
    duration = declared or media_duration
    truncated = bool(
        declared
        and media_duration is not None
        and media_duration < declared * _TRUNCATED_RATIO - _TRUNCATED_SLACK_S
    )
    return ProbeResult(
        format_names=tuple(container.format.name.split(",")),
        brand=container.metadata.get("major_brand"),
        size_bytes=size,
        duration_s=duration,
        media_duration_s=media_duration,
        bit_rate=container.bit_rate or (round(size * 8 / duration) if duration else None),
        video=_video_info(video_stream, first.frame, tally) if video_stream is not None else None,
        audio=_audio_info(audio_stream, tally) if audio_stream is not None else None,
        decoded=first.frame is not None,
        decode_error=_decode_error(first, read_error, video_stream is not None),
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
