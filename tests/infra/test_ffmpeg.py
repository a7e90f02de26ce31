"""infra.ffmpeg against real files made by ffmpeg: what probing finds in the bytes, and how
ffmpeg runs as a subprocess (errors, progress, time limits, cancellation, no orphans)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import anyio
import pytest

from infra import ffmpeg
from infra.ffmpeg import FfmpegError, FfmpegTimeout, run_ffmpeg
from infra.media_probe import ProbeError, aprobe, probe
from tests import media_files

# An ffmpeg that would run forever: a test source with no end, encoded to nowhere.
ENDLESS = ["-f", "lavfi", "-re", "-i", "testsrc=size=64x64:rate=10", "-f", "null"]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


def ffmpeg_pids(marker: str) -> list[int]:
    """Processes whose command line contains ``marker`` (each test's ffmpeg gets its own)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


async def wait_for(predicate: object, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await anyio.sleep(0.05)


linux_only = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")


# -- probing ---------------------------------------------------------------------------------


def test_probe_reads_container_codecs_size_and_duration(media: Path) -> None:
    path = media_files.video(media / "plain.mp4", 320, 180, seconds=2)

    result = probe(path)

    assert result.format_names[:2] == ("mov", "mp4")
    assert result.brand is not None and result.brand.strip() == "isom"
    assert result.duration_s == pytest.approx(2.0, abs=0.1)
    assert result.media_duration_s == pytest.approx(2.0, abs=0.1)
    assert result.size_bytes == path.stat().st_size
    assert result.video is not None and result.audio is not None
    assert (result.video.codec, result.video.width, result.video.height) == ("h264", 320, 180)
    assert result.video.rotation == 0
    assert result.video.frame_rate == pytest.approx(30)
    assert result.video.frames == 60
    assert result.video.duration_s == pytest.approx(2.0, abs=0.05)
    assert result.video.bit_rate and result.video.bit_rate > 0
    assert (result.audio.codec, result.audio.channels, result.audio.sample_rate) == (
        "aac",
        1,
        48_000,
    )
    assert result.decoded and not result.truncated and result.decode_error is None
    assert not result.video.is_hdr


def test_probe_recognises_hdr(media: Path) -> None:
    video = probe(media_files.hdr_hlg(media / "hlg.mp4")).video

    assert video is not None and video.is_hdr and video.pix_fmt == "yuv420p10le"


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_probe_reads_rotation_from_the_display_matrix(media: Path, rotation: int) -> None:
    path = media_files.video(media / f"rot{rotation}.mp4", 320, 180, 0.5, rotation=rotation)

    video = probe(path).video

    assert video is not None
    assert (video.width, video.height, video.rotation) == (320, 180, rotation)
    expected = (180, 320) if rotation in (90, 270) else (320, 180)
    assert video.display_size == expected


def test_probe_reads_webm_codecs(media: Path) -> None:
    result = probe(media_files.webm(media / "clip.webm", seconds=1))

    assert result.format_names == ("matroska", "webm")
    assert result.video is not None and result.video.codec == "vp9"
    assert result.audio is not None and result.audio.codec == "opus"
    assert result.duration_s == pytest.approx(1.0, abs=0.1)


def test_probe_measures_duration_when_the_container_declares_none(media: Path) -> None:
    path = media_files.webm(media / "recorded.webm", seconds=1.5, declare_duration=False)

    result = probe(path)

    assert result.duration_s == pytest.approx(1.5, abs=0.1)
    assert result.media_duration_s == pytest.approx(1.5, abs=0.1)
    # Measured from packets, so a bit rate is known even though the streams declare none.
    assert result.video is not None and result.video.bit_rate


def test_probe_tells_the_video_stream_span_from_the_file_duration(media: Path) -> None:
    result = probe(media_files.still_with_sound(media / "still.mp4", seconds=3))

    assert result.duration_s == pytest.approx(3.0, abs=0.1)
    assert result.video is not None and result.video.frames == 1
    assert result.video.duration_s is not None and result.video.duration_s < 0.1


def test_probe_finds_no_video_in_audio_only_m4a(media: Path) -> None:
    result = probe(media_files.audio_only(media / "sound.m4a"))

    assert result.video is None
    assert result.audio is not None and result.audio.codec == "aac"
    assert not result.decoded


def test_probe_reads_bytes_not_the_file_name(media: Path) -> None:
    disguised = media / "holiday.txt"
    disguised.write_bytes(media_files.video(media / "real.mp4", 160, 90, 0.5).read_bytes())

    assert probe(disguised).video is not None
    with pytest.raises(ProbeError) as info:
        probe(media_files.text_file(media / "fake.mp4"))
    assert info.value.signature is None


def test_probe_refuses_an_mp4_cut_before_its_index(media: Path) -> None:
    whole = media_files.video(media / "whole.mp4", 320, 180, 1)  # index (moov) at the end

    with pytest.raises(ProbeError) as info:
        probe(media_files.truncated(whole, media / "cut.mp4"))

    assert info.value.signature == "mp4"  # a damaged video, not some other kind of file


def test_probe_flags_a_faststart_mp4_cut_mid_way(media: Path) -> None:
    whole = media_files.video(media / "whole-fs.mp4", 320, 180, 2, faststart=True)

    result = probe(media_files.truncated(whole, media / "cut-fs.mp4"))

    assert result.truncated
    assert result.duration_s == pytest.approx(2.0, abs=0.1)
    assert result.media_duration_s is not None and result.media_duration_s < 1.5


def test_probe_tells_when_no_picture_decodes(media: Path) -> None:
    whole = media_files.video(media / "to-garble.mp4", 160, 90, 1, audio=False)

    result = probe(media_files.garbled(whole, media / "garbled.mp4"))

    assert result.video is not None and not result.decoded
    assert result.decode_error


def test_probe_refuses_an_empty_file(media: Path) -> None:
    empty = media / "empty.mp4"
    empty.write_bytes(b"")

    with pytest.raises(ProbeError, match="empty"):
        probe(empty)


def test_probe_refuses_a_playlist_posing_as_a_video(media: Path) -> None:
    target = media_files.video(media / "target.mp4", 160, 90, 0.5)
    playlist = media / "playlist.mp4"
    playlist.write_text(f"ffconcat version 1.0\nfile '{target}'\n")

    with pytest.raises(ProbeError):
        probe(playlist)


async def test_aprobe_runs_in_a_thread(media: Path) -> None:
    path = media_files.video(media / "async.mp4", 160, 90, 0.5)

    assert (await aprobe(path)) == probe(path)


# -- running ---------------------------------------------------------------------------------


async def test_run_ffmpeg_error_carries_stderr(media: Path) -> None:
    with pytest.raises(FfmpegError) as info:
        await run_ffmpeg(["-i", str(media / "no-such-file.mp4"), "-f", "null", "-"], timeout_s=30)

    assert info.value.returncode not in (None, 0)
    assert "No such file or directory" in str(info.value)
    assert "No such file or directory" in info.value.stderr


async def test_run_ffmpeg_reports_progress_about_once_a_second() -> None:
    reports: list[tuple[float, float]] = []

    async def on_progress(fraction: float) -> None:
        reports.append((time.monotonic(), fraction))

    # -re paces the input at real time, so this takes 2.5 s however fast the machine.
    args = ["-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-t", "2.5", "-f", "null"]
    await run_ffmpeg([*args, "-"], timeout_s=30, on_progress=on_progress, duration_s=2.5)

    fractions = [f for _, f in reports]
    assert fractions[-1] == 1.0
    assert fractions == sorted(fractions) and all(0 <= f <= 1 for f in fractions)
    assert 2 <= len(reports) <= 5
    # The final 1.0 comes at exit, right after the last report: not throttled, not counted.
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(reports[:-1])]
    assert all(gap >= 0.9 for gap in gaps)


async def test_failing_progress_callback_does_not_stop_ffmpeg(
    media: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 0

    async def on_progress(fraction: float) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("database busy")

    out = media / "progress-fails.mp4"
    args = ["-y", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-t", "1", str(out)]
    await run_ffmpeg(args, timeout_s=30, on_progress=on_progress, duration_s=1)

    assert probe(out).video is not None
    assert calls == 1
    assert "progress callback failed" in caplog.text


@linux_only
async def test_timeout_kills_ffmpeg() -> None:
    marker = f"timeout-{uuid.uuid4().hex}"
    started = time.monotonic()

    with pytest.raises(FfmpegTimeout, match="longer than"):
        await run_ffmpeg([*ENDLESS, marker], timeout_s=1)

    assert time.monotonic() - started < 5
    assert ffmpeg_pids(marker) == []


@linux_only
async def test_cancellation_kills_ffmpeg() -> None:
    marker = f"cancel-{uuid.uuid4().hex}"
    with anyio.move_on_after(5) as scope:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: run_ffmpeg([*ENDLESS, marker], timeout_s=60))
            await wait_for(lambda: ffmpeg_pids(marker))
            tg.cancel_scope.cancel()
    assert not scope.cancelled_caught  # cancelled by us, promptly, not by the 5 s guard
    assert ffmpeg_pids(marker) == []


@linux_only
@pytest.mark.faults
def test_ffmpeg_dies_with_a_killed_worker() -> None:
    """A SIGKILLed worker cannot clean up; the kernel must take ffmpeg down with it."""
    marker = f"orphan-{uuid.uuid4().hex}"
    # The marker travels in the environment, so only ffmpeg's command line carries it.
    script = textwrap.dedent(
        f"""
        import os, anyio
        from infra.ffmpeg import run_ffmpeg
        args = {ENDLESS!r} + [os.environ["MARKER"]]
        anyio.run(lambda: run_ffmpeg(args, timeout_s=60))
        """
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[2],
        env={**os.environ, "MARKER": marker},
    )
    try:
        deadline = time.monotonic() + 10
        while not ffmpeg_pids(marker):
            assert time.monotonic() < deadline, "ffmpeg never started"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        deadline = time.monotonic() + 5
        while ffmpeg_pids(marker):
            assert time.monotonic() < deadline, "ffmpeg outlived its worker"
            time.sleep(0.05)
    finally:
        worker.kill()
        worker.wait()
        for pid in ffmpeg_pids(marker):
            os.kill(pid, signal.SIGKILL)


@linux_only
async def test_concurrency_is_bounded_by_the_limiter() -> None:
    marker = f"limit-{uuid.uuid4().hex}"
    most = 0

    async def watch() -> None:
        nonlocal most
        while True:
            most = max(most, len(ffmpeg_pids(marker)))
            await anyio.sleep(0.05)

    short = ["-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-t", "0.6"]
    for limit in (1, 2):
        ffmpeg.set_max_concurrent(limit)
        most = 0
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(watch)
                async with anyio.create_task_group() as runs:
                    for _ in range(3):
                        runs.start_soon(
                            lambda: run_ffmpeg([*short, "-f", "null", marker], timeout_s=30)
                        )
                tg.cancel_scope.cancel()
        finally:
            ffmpeg.set_max_concurrent(1)
        assert most == limit


def test_set_max_concurrent_refuses_zero() -> None:
    with pytest.raises(ValueError):
        ffmpeg.set_max_concurrent(0)
