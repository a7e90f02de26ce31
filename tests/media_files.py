"""Real media made by ffmpeg (from the imageio-ffmpeg wheel) for the tests."""

from __future__ import annotations

import random
import struct
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


def video(
    path: Path,
    width: int = 320,
    height: int = 180,
    seconds: float = 2.0,
    *,
    rotation: int | None = None,
    audio: bool = True,
    fps: int = 30,
    faststart: bool = False,
    declare_duration: bool = True,
) -> Path:
    """A test-pattern clip with a tone, encoded as fast as ffmpeg can.

    The container follows the suffix: ``.mp4``/``.mov`` get H.264 + AAC, ``.webm`` VP9 + Opus,
    ``.mkv`` H.264 + AAC in Matroska. ``rotation`` (clockwise degrees, like a phone's ``rotate``
    tag) stores the frames as drawn and only adds a display matrix, the way a phone held
    upright records a landscape sensor image "to be turned 90°". ``declare_duration=False``
    writes a WebM with no duration in its header, as browsers' MediaRecorder does.
    """
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    if path.suffix == ".webm":
        codecs = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"]
        codecs += ["-c:a", "libopus"] if audio else []
        codecs += [] if declare_duration else ["-live", "1"]
    else:
        codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        codecs += ["-c:a", "aac"] if audio else []
        if faststart and path.suffix in (".mp4", ".mov"):
            codecs += ["-movflags", "+faststart"]
    if rotation is None:
        ffmpeg(*inputs, "-t", f"{seconds:g}", *codecs, str(path))
        return path
    plain = path.with_name(f"unrotated-{path.name}")
    ffmpeg(*inputs, "-t", f"{seconds:g}", *codecs, str(plain))
    # -display_rotation counts counter-clockwise; the rotate tag (and our API) clockwise.
    ffmpeg("-display_rotation:v:0", str(-rotation), "-i", str(plain), "-c", "copy", str(path))
    plain.unlink()
    return path


def phone_portrait(path: Path, width: int = 320, height: int = 180, seconds: float = 1.0) -> Path:
    """A phone held upright: landscape frames stored with "turn 90° clockwise" to show."""
    return video(path, width, height, seconds, rotation=90)


def audio_only(path: Path, seconds: float = 1.0) -> Path:
    """An M4A (MP4 container, AAC) with sound and no picture."""
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440", "-t", f"{seconds:g}", "-c:a", "aac", str(path)
    )
    return path


def truncated(source: Path, path: Path) -> Path:
    """The first half of ``source``, as an upload cut off mid-way leaves it."""
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def text_file(path: Path) -> Path:
    """Plain text under a video's name."""
    path.write_text("这不是视频 / this is not a video\n" * 100, encoding="utf-8")
    return path


def uhd(path: Path, seconds: float = 0.5) -> Path:
    """A 4K (3840x2160) clip, short: testsrc2 at that size is slow to draw."""
    return video(path, 3840, 2160, seconds, fps=30)


def webm(
    path: Path,
    width: int = 320,
    height: int = 180,
    seconds: float = 1.0,
    *,
    declare_duration: bool = True,
) -> Path:
    """A VP9 + Opus WebM, as browsers and some Android apps record."""
    return video(
        path.with_suffix(".webm"), width, height, seconds, declare_duration=declare_duration
    )


def still_with_sound(path: Path, seconds: float = 3.0) -> Path:
    """One picture over ``seconds`` of sound, as music and podcast apps export "videos"."""
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-filter_complex", "[0:v]trim=end_frame=1[v]", "-map", "[v]", "-map", "1:a",
        "-t", f"{seconds:g}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        str(path),
    )  # fmt: skip
    return path


def hdr_hlg(path: Path, width: int = 320, height: int = 180, seconds: float = 0.5) -> Path:
    """A 10-bit BT.2020 HLG clip, tagged the way an iPhone's HDR video is."""
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30",
        "-t", f"{seconds:g}",
        "-vf", "setparams=color_trc=arib-std-b67:color_primaries=bt2020:colorspace=bt2020nc"
        ":range=tv,format=yuv420p10le",
        "-c:v", "libx264", "-preset", "ultrafast",
        str(path),
    )  # fmt: skip
    return path


def garbled(source: Path, path: Path) -> Path:
    """``source`` (an MP4) with its index intact and its media data replaced by noise: it opens,
    has streams and a duration, and not one picture decodes."""
    data = bytearray(source.read_bytes())
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"mdat":
            data[offset + 8 : offset + size] = random.Random(0).randbytes(size - 8)
            break
        offset += size
    path.write_bytes(bytes(data))
    return path


def _jpeg_with_exif(path: Path, width: int, height: int, tiff: bytes) -> Path:
    """A test-pattern JPEG carrying ``tiff`` (an EXIF TIFF block) in an APP1 segment."""
    plain = path.with_name(f"plain-{path.name}")
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size={width}x{height}", "-frames:v", "1", str(plain))
    data = plain.read_bytes()
    plain.unlink()
    app1 = b"Exif\x00\x00" + tiff
    path.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:])
    return path


def jpeg_with_orientation(path: Path, width: int, height: int, orientation: int) -> Path:
    """A JPEG whose EXIF says how to turn it (6: 90° clockwise), as phones write photos."""
    # A minimal big-endian TIFF block with a single Orientation (0x0112, SHORT) entry.
    ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x0112, 3, 1, orientation << 16)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd + struct.pack(">I", 0)
    return _jpeg_with_exif(path, width, height, tiff)


# Where the phone was: 39°54'12.34" N, in the GPS block of `jpeg_with_gps`.
GPS_LATITUDE = ((39, 1), (54, 1), (1234, 100))


def jpeg_with_gps(path: Path, width: int, height: int) -> Path:
    """A phone photo with where it was taken in its EXIF: IFD0 points (GPSInfo, 0x8825) at a
    GPS block with GPSLatitudeRef "N" and GPSLatitude (three rationals)."""
    gps_at = 8 + 2 + 12 + 4  # after the header and IFD0's one entry and next-IFD offset
    data_at = gps_at + 2 + 2 * 12 + 4
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8825, 4, 1, gps_at) + struct.pack(">I", 0)
    gps = (
        struct.pack(">H", 2)
        + struct.pack(">HHI4s", 0x0001, 2, 2, b"N\x00\x00\x00")
        + struct.pack(">HHII", 0x0002, 5, 3, data_at)
        + struct.pack(">I", 0)
    )
    latitude = b"".join(struct.pack(">II", n, d) for n, d in GPS_LATITUDE)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + gps + latitude
    return _jpeg_with_exif(path, width, height, tiff)


def gps_latitude_bytes() -> bytes:
    """The latitude rationals as `jpeg_with_gps` stores them: found in a file, it still says
    where the photo was taken."""
    return b"".join(struct.pack(">II", n, d) for n, d in GPS_LATITUDE)


# A Chinese font from Debian's fonts-wqy-zenhei (.ci/run installs it): burned-in text for the
# text reader's tests and benchmark.
CHINESE_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
Caption = tuple[float, float, str]  # from, to (seconds), text


def _drawtext(path: Path, captions: list[Caption], size: int, y: str) -> str:
    if not CHINESE_FONT.exists():
        raise RuntimeError(f"{CHINESE_FONT} is missing: apt-get install fonts-wqy-zenhei")
    filters = []
    for index, (start, end, text) in enumerate(captions):
        textfile = path.with_name(f"{path.stem}-line{index}.txt")
        textfile.write_text(text, encoding="utf-8")  # a file: no escaping of : ' , in the text
        filters.append(
            f"drawtext=fontfile={CHINESE_FONT}:textfile={textfile}:fontsize={size}"
            f":fontcolor=white:borderw=3:bordercolor=black:x=(w-text_w)/2:y={y}"
            f":enable='gte(t,{start:g})*lt(t,{end:g})'"
        )
    return ",".join(filters) or "null"


def captioned_video(
    path: Path,
    captions: list[Caption],
    width: int = 1280,
    height: int = 720,
    seconds: float = 6,
    *,
    font_size: int | None = None,
) -> Path:
    """A clip with burned-in subtitles, as Chinese short videos carry their speech: a game of
    life (a picture that moves and holds no text) crossing a plain background, each
    caption centred near the bottom while it lasts, ``font_size`` pixels high (default: a
    sixteenth of the height)."""
    size = font_size or max(24, height // 16)
    return _over_moving_picture(
        path, _drawtext(path, captions, size, "h-h/7"), width, height, seconds
    )


def numbered_video(path: Path, width: int = 1280, height: int = 720, seconds: float = 6) -> Path:
    """Text that changes on every frame: the frame's number, burned in at the bottom."""
    textfile = path.with_name(f"{path.stem}-number.txt")
    textfile.write_text("第%{frame_num}帧", encoding="utf-8")  # drawtext expands it per frame
    size = max(24, height // 16)
    text = (
        f"drawtext=fontfile={CHINESE_FONT}:textfile={textfile}:fontsize={size}"
        ":fontcolor=white:borderw=3:bordercolor=black:x=(w-text_w)/2:y=h-h/7"
    )
    return _over_moving_picture(path, text, width, height, seconds)


def _over_moving_picture(path: Path, text: str, width: int, height: int, seconds: float) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", f"color=c=0x335577:size={width}x{height}:rate=25",
        "-f", "lavfi", "-i", f"life=size={width // 4}x{height // 4}:rate=25:seed=7"
        ":mold=10:ratio=0.3:life_color=#ffcc00:death_color=#224466:mold_color=#663322"
        f",scale={width // 2}:{height // 2}:flags=neighbor",
        "-filter_complex", f"[0][1]overlay=x='mod(40+t*40,W-w)':y=h/6,{text}",
        "-t", f"{seconds:g}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        str(path),
    )  # fmt: skip
    return path


def captioned_image(path: Path, text: str, width: int = 1280, height: int = 720) -> bytes:
    """A still (a cover) with one line of text across its middle."""
    line = _drawtext(path, [(0, 1, text)], max(24, height // 12), "(h-text_h)/2")
    ffmpeg(
        "-f", "lavfi", "-i", f"color=c=0x553322:size={width}x{height}",
        "-vf", line, "-frames:v", "1", str(path),
    )  # fmt: skip
    return path.read_bytes()
