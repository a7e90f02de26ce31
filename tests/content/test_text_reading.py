"""The text reader on real frames, and on the input that could make it run away: no text, text
that changes on every frame, a 4K picture, too little memory or time (a failed read, never an
exception, and no reader left running). Then how frames become timed segments."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from content.media import text_reading
from content.media.text_reading import MAX_CHARS, MAX_SEGMENTS, read_image_text, read_video_text
from content.models import TextReading
from infra.ocr import FrameText, OcrLimits
from tests.media_files import captioned_image, captioned_video, numbered_video

SIZE = (640, 360)
LIMITS = OcrLimits()
# One character differs (三 → 五): the reader must not take the second for the first.
BEFORE, AFTER = "科学家发现了三颗新行星", "科学家发现了五颗新行星"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("text-reading")
    return {
        "blank": captioned_video(folder / "blank.mp4", [], *SIZE, seconds=3),
        "numbered": numbered_video(folder / "numbered.mp4", *SIZE, seconds=3),
        "edited": captioned_video(
            folder / "edited.mp4", [(0, 2, BEFORE), (2, 4, AFTER)], 1280, 720, seconds=4
        ),
    }


def _texts(segments: list[dict[str, Any]]) -> list[str]:
    return ["".join(s["text"].split()) for s in segments]


def _readers_of(path: Path) -> list[str]:
    """Processes (the reader, its ffmpeg) still working on ``path``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        if str(path) in command:
            found.append(command)
    return found


def _no_reader_left(path: Path) -> None:
    deadline = time.monotonic() + 5
    while _readers_of(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _readers_of(path) == []


async def test_a_clip_without_text_is_read_and_has_no_segments(clips: dict[str, Path]) -> None:
    reading = await read_video_text(clips["blank"], SIZE, 3.0, LIMITS)
    assert (reading.status, reading.segments, reading.error) == (TextReading.read, [], None)


async def test_text_changing_on_every_frame_stays_bounded(clips: dict[str, Path]) -> None:
    started = time.monotonic()
    reading = await read_video_text(clips["numbered"], SIZE, 3.0, LIMITS)
    assert reading.status == TextReading.read
    # Frames are sampled (a second apart, more at scene changes, never more than 2x + 10 of
    # that): each frame read adds at most its one line.
    assert 1 <= len(reading.segments) <= 2 * 4 + 10
    assert all(t.startswith("第") and t.endswith("帧") for t in _texts(reading.segments))
    assert time.monotonic() - started < 60


async def test_a_line_edited_by_one_character_is_read_again(clips: dict[str, Path]) -> None:
    reading = await read_video_text(clips["edited"], (1280, 720), 4.0, LIMITS)
    assert reading.status == TextReading.read
    by_text = {t: s for t, s in zip(_texts(reading.segments), reading.segments, strict=True)}
    assert BEFORE in by_text and AFTER in by_text, reading.segments
    assert by_text[BEFORE]["t_start"] == 0 and by_text[AFTER]["t_start"] == pytest.approx(2, abs=1)


async def test_a_4k_picture_is_scaled_and_read(tmp_path: Path) -> None:
    path = tmp_path / "uhd.png"
    captioned_image(path, "黑洞的引力连光都无法逃脱", 3840, 2160)
    started = time.monotonic()
    reading = await read_image_text(path, LIMITS)
    assert reading.status == TextReading.read
    assert _texts(reading.segments) == ["黑洞的引力连光都无法逃脱"]
    assert time.monotonic() - started < 30


async def test_a_reader_out_of_memory_is_a_failed_read(clips: dict[str, Path]) -> None:
    reading = await read_video_text(clips["blank"], SIZE, 3.0, OcrLimits(memory_mb=64))
    assert reading.status == TextReading.failed and reading.segments == []
    assert reading.error and reading.error.startswith(text_reading.ERROR_MESSAGE)
    _no_reader_left(clips["blank"])


async def test_a_reader_out_of_time_is_stopped_and_a_failed_read(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_reading, "TIMEOUT_BASE_S", 0.0)
    monkeypatch.setattr(text_reading, "TIMEOUT_PER_SECOND", 0.1)  # 0.3 s for 3 s of video
    started = time.monotonic()
    reading = await read_video_text(clips["numbered"], SIZE, 3.0, LIMITS)
    assert reading.status == TextReading.failed and reading.segments == []
    assert reading.error and "longer than 0.3 s" in reading.error
    assert time.monotonic() - started < 5
    _no_reader_left(clips["numbered"])


async def test_frames_ffmpeg_cannot_decode_are_a_failed_read_saying_so(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x17" * 4096)  # a header, then noise
    reading = await read_video_text(broken, SIZE, 3.0, LIMITS)
    assert reading.status == TextReading.failed and reading.segments == []
    assert reading.error and "ffmpeg exited" in reading.error


def _line(text: str, y: float = 0.8, x: float = 0.2) -> dict[str, Any]:
    return {"text": text, "score": 0.9, "box": [x, y, round(x + 0.5, 3), round(y + 0.05, 3)]}


def test_a_line_on_consecutive_frames_is_one_segment_until_the_next_frame() -> None:
    frames = [FrameText(0.0, [_line("甲")]), FrameText(1.0, [_line("甲")]), FrameText(2.0, [])]
    assert text_reading.segments(frames, 1.0, 3.0) == [
        {"t_start": 0.0, "t_end": 2.0, "text": "甲", "box": [0.2, 0.8, 0.7, 0.85]}
    ]


def test_a_line_on_the_last_frame_ends_an_interval_later_or_at_the_end() -> None:
    frames = [FrameText(0.0, []), FrameText(2.0, [_line("甲")])]
    assert text_reading.segments(frames, 1.0, 2.4)[0]["t_end"] == 2.4
    assert text_reading.segments(frames, 1.0, 10.0)[0]["t_end"] == 3.0


def test_a_line_that_leaves_and_comes_back_is_two_segments() -> None:
    frames = [
        FrameText(0.0, [_line("甲")]),
        FrameText(1.0, [_line("乙")]),
        FrameText(2.0, [_line("甲 ")]),  # spacing aside, the same line
    ]
    found = [
        (s["text"].strip(), s["t_start"], s["t_end"])
        for s in text_reading.segments(frames, 1.0, 3.0)
    ]
    assert found == [("甲", 0.0, 1.0), ("乙", 1.0, 2.0), ("甲", 2.0, 3.0)]


def test_segments_are_ordered_by_time_then_top_to_bottom_then_left_to_right() -> None:
    frames = [
        FrameText(0.0, [_line("下", y=0.8), _line("上右", y=0.1, x=0.6), _line("上左", y=0.1)]),
        FrameText(1.0, [_line("下", y=0.8), _line("新", y=0.5)]),
    ]
    texts = [s["text"] for s in text_reading.segments(frames, 1.0, 2.0)]
    assert texts == ["上左", "上右", "下", "新"]


def test_segments_are_bounded_in_number_and_in_characters() -> None:
    many = [FrameText(float(i), [_line(f"第{i}帧")]) for i in range(MAX_SEGMENTS + 50)]
    assert len(text_reading.segments(many, 1.0, MAX_SEGMENTS + 50.0)) == MAX_SEGMENTS
    long = [FrameText(float(i), [_line(f"{i:04d}" + "字" * 996)]) for i in range(150)]
    kept = text_reading.segments(long, 1.0, 150.0)
    assert len(kept) == MAX_CHARS // 1000
    assert sum(len(s["text"]) for s in kept) <= MAX_CHARS
