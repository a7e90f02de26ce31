"""ffmpeg plumbing: where the binary is, and running it as a bounded, killable subprocess that
reports progress. What Kepu accepts or produces is for `content/` to say."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import cache

import anyio
import anyio.to_thread
import imageio_ffmpeg
from anyio.abc import ByteReceiveStream
from anyio.lowlevel import RunVar

from infra.processes import ORPHANED, launched, run_bounded

log = logging.getLogger(__name__)

# Options every invocation gets: never read the terminal (a worker has none, and ffmpeg would
# stop on a stray "q"), print only errors, and report progress as key=value lines on stdout.
_GLOBAL_ARGS = ("-nostdin", "-hide_banner", "-loglevel", "error")
_PROGRESS_ARGS = ("-nostats", "-progress", "pipe:1")
_PROGRESS_INTERVAL_S = 1.0

# strerror texts of failures of the machine, not of the input (ENOSPC, ENOMEM, EMFILE).
_RESOURCE_ERRORS = ("No space left on device", "Cannot allocate memory", "Too many open files")


class FfmpegError(Exception):
    """ffmpeg exited with an error or was killed. The message ends with the tail of its stderr."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr

    @property
    def transient(self) -> bool:
        """Whether the cause lies outside the input: ffmpeg was killed (a signal, or the
        launcher's exit when its parent died), or the machine ran out of disk or memory.
        Otherwise ffmpeg refused what it was given, and running it again changes nothing."""
        if self.returncode is None or self.returncode < 0 or self.returncode == ORPHANED:
            return True
        return any(sign in self.stderr for sign in _RESOURCE_ERRORS)


class FfmpegTimeout(FfmpegError):
    """ffmpeg ran longer than its time limit and was killed."""

    @property
    def transient(self) -> bool:
        return True


@cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel (or ``IMAGEIO_FFMPEG_EXE``)."""
    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


def ffmpeg_command(args: list[str], *, progress: bool = False) -> list[str]:
    """The full command line `run_ffmpeg` runs for ``args`` (less the Linux launcher)."""
    return [ffmpeg_exe(), *_GLOBAL_ARGS, *(_PROGRESS_ARGS if progress else ()), *args]


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
    command = launched(ffmpeg_command(args, progress=True))
    reporter = _Reporter(on_progress if duration_s else None)
    async with _get_limiter():
        returncode, stderr = await _run(command, timeout_s, reporter, duration_s or 0.0)
    if returncode != 0:
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited {returncode}"
        raise FfmpegError(
            f"ffmpeg {how}: {stderr.strip() or '(no message)'}",
            returncode=returncode,
            stderr=stderr,
        )
    await reporter(1.0)


async def _run(
    command: list[str], timeout_s: float, reporter: _Reporter, duration_s: float
) -> tuple[int, str]:
    """Run ``command`` to its end, following its progress: its exit status and stderr's tail."""
    returncode, stderr = await run_bounded(
        command, timeout_s, lambda stdout: _follow_progress(stdout, reporter, duration_s)
    )
    if returncode is None:
        raise FfmpegTimeout(f"ffmpeg ran longer than {timeout_s:g} s and was killed", stderr=stderr)
    return returncode, stderr


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
