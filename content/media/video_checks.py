"""What a video must be for Kepu to accept it: the checks an upload passes (container, streams,
length, size, dimensions, whether it decodes) and the reason a creator reads when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.media.failures import MediaRejected
from infra.media_probe import ProbeError, ProbeResult, VideoInfo

MIN_SIDE = 32
MAX_SIDE = 8192  # 8K; larger is no phone's video and only costs decoding time

# The demuxers behind the accepted containers (see `container_of`). The ffmpeg run is forced to
# the demuxer the probe found, so a file is never read one way when checked and another way
# when transcoded.
_MOV_DEMUXER = "mov"
_MATROSKA_DEMUXER = "matroska"
_WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})
_WEBM_AUDIO = frozenset({"opus", "vorbis"})
_IMAGE_DEMUXERS = frozenset({"image2", "gif", "apng", "webp", "ico", "png_pipe"})


@dataclass(frozen=True, slots=True)
class MediaRules:
    max_seconds: float
    max_bytes: int
    containers: tuple[str, ...] = ("mp4", "mov", "webm")


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
    video = _picture(probe)
    _check_container(probe, rules)
    _check_length(probe.duration_s, rules)
    _check_intact(probe)
    _check_dimensions(video)


def _picture(probe: ProbeResult) -> VideoInfo:
    """The video stream; an image, a sound file or nothing at all is refused, each by name."""
    if _is_image(probe):
        raise MediaRejected("这是图片，不是视频 / this is an image, not a video", code="not_video")
    if probe.video is None:
        if probe.audio is not None:
            raise MediaRejected(
                "文件只有声音没有画面 / the file has sound but no picture; upload a video",
                code="audio_only",
            )
        raise MediaRejected("文件里没有视频画面 / the file holds no video", code="not_video")
    return probe.video


def _check_container(probe: ProbeResult, rules: MediaRules) -> None:
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


def _check_length(duration: float | None, rules: MediaRules) -> None:
    if duration is not None and duration > rules.max_seconds:
        zh, en = _duration_text(duration)
        lzh, len_ = _duration_text(rules.max_seconds)
        raise MediaRejected(
            f"视频时长 {zh}，超过上限 {lzh} / the video is {en} long; the limit is {len_}",
            code="too_long",
        )


def _check_intact(probe: ProbeResult) -> None:
    """The whole file arrived, its pictures decode, and it says how long it is."""
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
    if probe.duration_s is None or probe.duration_s <= 0:
        raise MediaRejected(
            "无法确定视频时长，文件可能已损坏 / cannot tell how long the video is; the file may "
            "be damaged",
            code="corrupt",
        )


def _check_dimensions(video: VideoInfo) -> None:
    width, height = video.display_size
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


def video_of(probe: ProbeResult) -> VideoInfo:
    if probe.video is None:
        raise MediaRejected("文件里没有视频画面 / the file holds no video", code="not_video")
    return probe.video
