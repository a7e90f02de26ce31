"""Media processing on real clips made by ffmpeg: which uploads are refused and why, which
renditions are planned, what the one ffmpeg run writes, and `process_media` end to end against
LocalStorage in a temporary directory.

Clips are tiny (a second or less, small frames) unless a test is about size. A 10-hour video
is not generated: the too-long rule is tested with a 2-second clip against a 1-second limit.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import pytest

from content.media.failures import MediaRejected, TransientMediaError
from content.media.transcode import ProcessResult, process_media, transcode
from content.media.video_checks import MediaRules, validate
from content.media.video_plan import RenditionSpec, build_transcode_job, plan_renditions
from infra.media_probe import ProbeResult, VideoInfo, probe
from infra.storage.base import StorageUnavailable
from infra.storage.local import LocalStorage
from tests import media_files

RULES = MediaRules(max_seconds=15 * 60, max_bytes=500 * 1024 * 1024)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="module")
def hd(clips: Path) -> Path:
    return media_files.video(clips / "hd.mp4", 1920, 1080, seconds=1)


@pytest.fixture(scope="module")
def portrait(clips: Path) -> Path:
    return media_files.phone_portrait(clips / "portrait.mp4", 1920, 1080, seconds=0.5)


@pytest.fixture
async def storage(tmp_path: Path) -> LocalStorage:
    store = LocalStorage(tmp_path / "objects", "http://testserver", "test-secret")
    await store.ensure_bucket()
    return store


def synthetic(
    width: int, height: int, *, rotation: int = 0, sar: Fraction = Fraction(1)
) -> ProbeResult:
    """A probe result without a file, for planning rules that need no pixels."""
    video = VideoInfo(0, "h264", width, height, rotation, 30.0, 5_000_000, "yuv420p", sar)
    return ProbeResult(
        format_names=("mov", "mp4"),
        brand="isom",
        size_bytes=1_000_000,
        duration_s=10.0,
        media_duration_s=10.0,
        bit_rate=5_000_000,
        video=video,
        audio=None,
        decoded=True,
        decode_error=None,
        truncated=False,
    )


def sizes(specs: list[RenditionSpec]) -> list[tuple[str, int, int]]:
    return [(s.label, s.width, s.height) for s in specs]


def top_level_boxes(path: Path) -> list[str]:
    """The MP4 top-level box types in file order."""
    boxes = []
    data = path.read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
        elif size == 0:
            size = len(data) - offset
        boxes.append(kind.decode("latin-1"))
        offset += size
    return boxes


def scratch_dirs(workdir: Path, media_id: str) -> list[Path]:
    return list(workdir.glob(f"{media_id}-*"))


def display_rotation(path: Path) -> float:
    """The rotation a player would apply, read from the first decoded frame's side data."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return float(frame.rotation or 0)


# -- planning --------------------------------------------------------------------------------


def test_1080p_gets_720p_and_480p_at_its_aspect_ratio() -> None:
    assert sizes(plan_renditions(synthetic(1920, 1080))) == [
        ("720p", 1280, 720),
        ("480p", 854, 480),
    ]


def test_360p_source_gets_only_its_own_size() -> None:
    assert sizes(plan_renditions(synthetic(640, 360))) == [("360p", 640, 360)]


def test_odd_small_source_is_rounded_down_to_even_never_up() -> None:
    assert sizes(plan_renditions(synthetic(479, 271))) == [("270p", 478, 270)]


def test_portrait_phone_video_is_planned_portrait() -> None:
    assert sizes(plan_renditions(synthetic(1920, 1080, rotation=90))) == [
        ("720p", 720, 1280),
        ("480p", 480, 854),
    ]


def test_4k_is_downscaled() -> None:
    assert sizes(plan_renditions(synthetic(3840, 2160))) == [
        ("720p", 1280, 720),
        ("480p", 854, 480),
    ]


def test_source_between_rungs_keeps_its_own_size_when_clearly_larger() -> None:
    assert sizes(plan_renditions(synthetic(1068, 600))) == [
        ("600p", 1068, 600),
        ("480p", 854, 480),
    ]
    assert sizes(plan_renditions(synthetic(960, 540))) == [("480p", 854, 480)]


def test_anamorphic_pixels_are_made_square() -> None:
    # DV-style 720x480 stored with 32:27 pixels shows as 853x480 (16:9).
    specs = plan_renditions(synthetic(720, 480, sar=Fraction(32, 27)))
    assert sizes(specs) == [("480p", 852, 480)]


def test_panorama_is_fitted_by_its_long_side() -> None:
    (spec, *_) = plan_renditions(synthetic(6000, 1000))
    assert spec.width <= 720 * 7 / 3 + 2 and spec.width / spec.height == pytest.approx(6, rel=0.02)


def test_renditions_have_bitrate_caps() -> None:
    for spec in plan_renditions(synthetic(1920, 1080)) + plan_renditions(synthetic(640, 360)):
        assert 200_000 <= spec.video_bitrate <= 2_000_000
        assert spec.audio_bitrate >= 64_000


# -- refusing what is not an acceptable video ---------------------------------------------


async def rejection(
    storage: LocalStorage, tmp_path: Path, path: Path, rules: MediaRules = RULES
) -> MediaRejected:
    await storage.upload_from(path, "uploads/bad/original", "video/mp4")
    with pytest.raises(MediaRejected) as info:
        await process_media(storage, "uploads/bad/original", "bad", tmp_path, rules)
    assert await storage.stat("media/bad/720p.mp4") is None
    return info.value


async def test_audio_only_is_rejected(storage: LocalStorage, tmp_path: Path) -> None:
    error = await rejection(storage, tmp_path, media_files.audio_only(tmp_path / "a.m4a"))
    assert error.code == "audio_only"
    assert "没有画面" in error.reason and "no picture" in error.reason


async def test_text_file_named_mp4_is_rejected(storage: LocalStorage, tmp_path: Path) -> None:
    error = await rejection(storage, tmp_path, media_files.text_file(tmp_path / "x.mp4"))
    assert error.code == "not_video"
    assert "not a video" in error.reason


async def test_image_is_rejected(storage: LocalStorage, tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    media_files.png(image)
    error = await rejection(storage, tmp_path, image)
    assert error.code == "not_video" and "image" in error.reason


async def test_truncated_mp4_is_rejected(storage: LocalStorage, tmp_path: Path, hd: Path) -> None:
    cut = media_files.truncated(hd, tmp_path / "cut.mp4")
    error = await rejection(storage, tmp_path, cut)
    assert error.code == "corrupt"
    assert "upload" in error.reason


async def test_faststart_mp4_cut_mid_way_is_rejected(storage: LocalStorage, tmp_path: Path) -> None:
    whole = media_files.video(tmp_path / "w.mp4", 160, 90, 2, faststart=True)
    error = await rejection(storage, tmp_path, media_files.truncated(whole, tmp_path / "c.mp4"))
    assert error.code == "truncated"
    assert "不完整" in error.reason and "incomplete" in error.reason


async def test_mp4_whose_pictures_do_not_decode_is_rejected(
    storage: LocalStorage, tmp_path: Path
) -> None:
    whole = media_files.video(tmp_path / "w.mp4", 160, 90, 1)
    error = await rejection(storage, tmp_path, media_files.garbled(whole, tmp_path / "g.mp4"))
    assert error.code == "corrupt"
    assert "decoded" in error.reason


async def test_too_long_is_rejected_with_both_durations(
    storage: LocalStorage, tmp_path: Path
) -> None:
    clip = media_files.video(tmp_path / "long.mp4", 160, 90, seconds=2)
    error = await rejection(storage, tmp_path, clip, replace(RULES, max_seconds=1))
    assert error.code == "too_long"
    assert "2 秒" in error.reason and "1 秒" in error.reason and "limit is 1 s" in error.reason


def test_ten_hours_reads_as_hours() -> None:
    ten_hours = replace(synthetic(1920, 1080), duration_s=36_000.0)
    with pytest.raises(MediaRejected) as info:
        validate(ten_hours, RULES)
    assert info.value.reason.startswith("视频时长 10 小时，超过上限 15 分钟")
    assert "10 h long; the limit is 15 min" in info.value.reason


async def test_zero_bytes_is_rejected(storage: LocalStorage, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    error = await rejection(storage, tmp_path, empty)
    assert error.code == "empty"


async def test_too_large_is_rejected_before_download(
    storage: LocalStorage, tmp_path: Path, hd: Path
) -> None:
    error = await rejection(storage, tmp_path, hd, replace(RULES, max_bytes=1024))
    assert error.code == "too_large"
    assert scratch_dirs(tmp_path, "bad") == []  # nothing was downloaded


async def test_matroska_with_h264_is_not_webm(storage: LocalStorage, tmp_path: Path) -> None:
    mkv = media_files.video(tmp_path / "clip.mkv", 160, 90, 0.5)
    error = await rejection(storage, tmp_path, mkv)
    assert error.code == "unsupported_container"
    assert "MKV" in error.reason


async def test_missing_original_is_rejected(storage: LocalStorage, tmp_path: Path) -> None:
    with pytest.raises(MediaRejected) as info:
        await process_media(storage, "uploads/none/original", "none", tmp_path, RULES)
    assert info.value.code == "missing_original"


# -- transcoding -----------------------------------------------------------------------------


async def test_1080p_becomes_h264_aac_mp4_at_720p_and_480p(hd: Path, tmp_path: Path) -> None:
    source = probe(hd)
    output = await transcode(hd, tmp_path, source, plan_renditions(source))

    assert [(r.label, r.width, r.height) for r in output.renditions] == [
        ("720p", 1280, 720),
        ("480p", 854, 480),
    ]
    for rendition in output.renditions:
        result = probe(rendition.path)
        assert result.video is not None and result.audio is not None
        assert (result.video.codec, result.video.pix_fmt) == ("h264", "yuv420p")
        assert result.audio.codec == "aac"
        assert result.duration_s == pytest.approx(1.0, abs=0.1)
        assert rendition.bitrate and rendition.bitrate > 0
        # Fast start: the index comes before the media data, so playback starts at once.
        boxes = top_level_boxes(rendition.path)
        assert boxes.index("moov") < boxes.index("mdat")


async def test_cover_is_a_jpeg_at_the_top_rendition_size(hd: Path, tmp_path: Path) -> None:
    source = probe(hd)
    output = await transcode(hd, tmp_path, source, plan_renditions(source))

    data = output.cover.path.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"
    cover = probe(output.cover.path)
    assert cover.video is not None and cover.video.codec == "mjpeg"
    assert (output.cover.width, output.cover.height) == (1280, 720)


async def test_preview_is_short_small_and_muted(clips: Path, tmp_path: Path) -> None:
    clip = media_files.video(clips / "five.mp4", 640, 360, seconds=5, fps=10)
    source = probe(clip)
    output = await transcode(clip, tmp_path, source, plan_renditions(source))

    preview = probe(output.preview.path)
    assert preview.audio is None and preview.video is not None
    assert preview.duration_s is not None and preview.duration_s <= 3.1
    assert (output.preview.width, output.preview.height) == (426, 240)


async def test_small_source_is_never_upscaled(clips: Path, tmp_path: Path) -> None:
    clip = media_files.video(clips / "small.mp4", 640, 360, seconds=0.5)
    source = probe(clip)
    output = await transcode(clip, tmp_path, source, plan_renditions(source))

    assert [(r.label, r.width, r.height) for r in output.renditions] == [("360p", 640, 360)]
    assert (output.preview.width, output.preview.height) == (426, 240)


async def test_portrait_phone_video_comes_out_portrait_without_rotation(
    portrait: Path, tmp_path: Path
) -> None:
    source = probe(portrait)
    output = await transcode(portrait, tmp_path, source, plan_renditions(source))

    assert [(r.width, r.height) for r in output.renditions] == [(720, 1280), (480, 854)]
    for path in [*(r.path for r in output.renditions), output.preview.path]:
        result = probe(path)
        assert result.video is not None
        # Pixels stored upright and no display matrix left: a player must not turn it again.
        assert result.video.rotation == 0 and display_rotation(path) == 0
        assert result.video.height > result.video.width
    assert output.cover.height > output.cover.width


async def test_still_picture_over_sound_still_gets_a_cover(clips: Path, tmp_path: Path) -> None:
    clip = media_files.still_with_sound(clips / "still.mp4", seconds=3)
    source = probe(clip)
    output = await transcode(clip, tmp_path, source, plan_renditions(source))

    assert probe(output.cover.path).decoded
    assert output.renditions[0].duration_s == pytest.approx(3.0, abs=0.2)


async def test_hdr_is_tone_mapped_to_8_bit_bt709(clips: Path, tmp_path: Path) -> None:
    clip = media_files.hdr_hlg(clips / "hlg.mp4")
    source = probe(clip)
    assert source.video is not None and source.video.is_hdr
    output = await transcode(clip, tmp_path, source, plan_renditions(source))

    result = probe(output.renditions[0].path)
    assert result.video is not None and result.video.pix_fmt == "yuv420p"
    assert not result.video.is_hdr and result.video.color_transfer == 1  # BT.709


async def test_4k_is_downscaled_to_720p(clips: Path, tmp_path: Path) -> None:
    clip = media_files.uhd(clips / "uhd.mp4", seconds=0.5)
    source = probe(clip)
    output = await transcode(clip, tmp_path, source, plan_renditions(source))

    assert [(r.width, r.height) for r in output.renditions] == [(1280, 720), (854, 480)]


async def test_silent_source_gives_renditions_without_audio(clips: Path, tmp_path: Path) -> None:
    clip = media_files.video(clips / "silent.mp4", 320, 180, 0.5, audio=False)
    source = probe(clip)
    output = await transcode(clip, tmp_path, source, plan_renditions(source))

    assert probe(output.renditions[0].path).audio is None


async def test_webm_vp9_is_transcoded_to_mp4(clips: Path, tmp_path: Path) -> None:
    clip = media_files.webm(clips / "clip.webm", 320, 180, seconds=0.5, declare_duration=False)
    source = probe(clip)
    validate(source, RULES)
    output = await transcode(clip, tmp_path, source, plan_renditions(source))

    result = probe(output.renditions[0].path)
    assert result.format_names[0] == "mov" and result.video is not None
    assert (result.video.codec, result.audio and result.audio.codec) == ("h264", "aac")


def test_the_job_is_one_ffmpeg_run_reading_only_the_source(hd: Path, tmp_path: Path) -> None:
    source = probe(hd)
    job = build_transcode_job(hd, tmp_path, source, plan_renditions(source))

    assert job.args.count("-i") == 1 and job.args.count("-filter_complex") == 1
    assert job.args[job.args.index("-protocol_whitelist") + 1] == "file"
    assert job.args[job.args.index("-f") + 1] == "mov"  # the demuxer the probe used
    assert job.args.count("+faststart") == 3  # two renditions and the preview


@pytest.mark.parametrize(
    ("source_fps", "filter_"), [(60.0, "fps=30,"), (50.0, "fps=25,"), (30.0, "")]
)
def test_high_frame_rates_are_halved_and_30_fps_kept(
    tmp_path: Path, source_fps: float, filter_: str
) -> None:
    source = synthetic(1920, 1080)
    assert source.video is not None
    source = replace(source, video=replace(source.video, frame_rate=source_fps))
    job = build_transcode_job(tmp_path / "s", tmp_path, source, plan_renditions(source))

    graph = job.args[job.args.index("-filter_complex") + 1]
    assert graph.startswith(f"[0:0]{filter_}scale=1280:720")


# -- end to end ------------------------------------------------------------------------------


async def test_process_media_uploads_renditions_cover_and_preview(
    storage: LocalStorage, tmp_path: Path, portrait: Path
) -> None:
    await storage.upload_from(portrait, "uploads/u1/original", "video/mp4")
    progress: list[float] = []

    async def on_progress(fraction: float) -> None:
        progress.append(fraction)

    result = await process_media(
        storage, "uploads/u1/original", "m1", tmp_path, RULES, on_progress=on_progress
    )

    assert isinstance(result, ProcessResult)
    assert (result.width, result.height, result.rotation) == (1080, 1920, 90)
    assert result.duration_s == pytest.approx(0.5, abs=0.1)
    assert [(r["label"], r["key"], r["width"], r["height"]) for r in result.renditions] == [
        ("720p", "media/m1/720p.mp4", 720, 1280),
        ("480p", "media/m1/480p.mp4", 480, 854),
    ]
    assert all(r["bitrate"] > 0 for r in result.renditions)
    assert (result.cover_key, result.preview_key) == ("media/m1/cover.jpg", "media/m1/preview.mp4")
    assert result.source["container"] == "mp4"
    assert (result.source["video_codec"], result.source["audio_codec"]) == ("h264", "aac")
    assert (result.source["stored_width"], result.source["stored_height"]) == (1920, 1080)
    for key, content_type in [
        ("media/m1/720p.mp4", "video/mp4"),
        ("media/m1/480p.mp4", "video/mp4"),
        ("media/m1/preview.mp4", "video/mp4"),
        ("media/m1/cover.jpg", "image/jpeg"),
    ]:
        info = await storage.stat(key)
        assert info is not None and info.size > 0 and info.content_type == content_type
    assert progress[0] == 0.05 and progress[-1] == 1.0 and progress == sorted(progress)
    assert scratch_dirs(tmp_path, "m1") == []  # scratch files removed


async def test_process_media_twice_writes_the_same_keys(
    storage: LocalStorage, tmp_path: Path, clips: Path
) -> None:
    clip = media_files.video(clips / "again.mp4", 854, 480, 0.5)
    await storage.upload_from(clip, "uploads/u2/original", "video/mp4")

    first = await process_media(storage, "uploads/u2/original", "m2", tmp_path, RULES)
    second = await process_media(storage, "uploads/u2/original", "m2", tmp_path, RULES)

    assert [r["key"] for r in first.renditions] == [r["key"] for r in second.renditions]
    assert (first.cover_key, first.preview_key) == (second.cover_key, second.preview_key)
    stored = sorted(p.name for p in (storage.root / "media" / "m2").iterdir())
    assert [n for n in stored if not n.startswith(".")] == [
        "480p.mp4",
        "cover.jpg",
        "preview.mp4",
    ]


class FlakyStorage(LocalStorage):
    async def download_to(self, key: str, path: Path) -> None:
        raise StorageUnavailable("connection refused")


async def test_storage_outage_is_transient(tmp_path: Path, hd: Path) -> None:
    storage = FlakyStorage(tmp_path / "objects", "http://testserver", "test-secret")
    await storage.ensure_bucket()
    await storage.upload_from(hd, "uploads/u3/original", "video/mp4")

    with pytest.raises(TransientMediaError) as info:
        await process_media(storage, "uploads/u3/original", "m3", tmp_path, RULES)

    assert isinstance(info.value.__cause__, StorageUnavailable)
    assert scratch_dirs(tmp_path, "m3") == []


async def test_ffmpeg_timeout_is_transient(storage: LocalStorage, tmp_path: Path, hd: Path) -> None:
    await storage.upload_from(hd, "uploads/u4/original", "video/mp4")

    with pytest.raises(TransientMediaError, match="longer than"):
        await process_media(storage, "uploads/u4/original", "m4", tmp_path, RULES, timeout_s=0.05)
