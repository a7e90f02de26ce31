"""Child processes that die with their parent: ffmpeg and the OCR reader run behind a launcher
so a SIGKILLed worker never leaves them burning both cores and racing the job's next try."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from subprocess import DEVNULL, PIPE

import anyio
from anyio.abc import ByteReceiveStream

STDERR_TAIL = 4096  # bytes of a child's stderr kept for its error message
ORPHANED = 137  # the launcher's exit status when its parent died before the child started

# Linux only: a launcher that asks the kernel to SIGKILL the child when the process that started
# it dies, then execs the child in place (same pid). The parent pid is passed in and compared, in
# case the parent died before prctl took effect. (The kernel ties this to the thread that forked:
# asyncio forks in the event loop's thread, which lives as long as the worker.)
_PDEATHSIG_LAUNCHER = (
    "import ctypes,os,signal,sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)\n"  # PR_SET_PDEATHSIG
    f"os.getppid() == int(sys.argv[1]) or os._exit({ORPHANED})\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def launched(command: list[str]) -> list[str]:
    """On Linux, ``command`` behind the launcher that kills it when its parent dies."""
    if sys.platform != "linux":
        return command
    return [sys.executable, "-I", "-S", "-c", _PDEATHSIG_LAUNCHER, str(os.getpid()), *command]


async def run_bounded(
    command: list[str],
    timeout_s: float,
    read_stdout: Callable[[ByteReceiveStream], Awaitable[None]],
) -> tuple[int | None, str]:
    """Run ``command`` to its end while ``read_stdout`` drains its stdout and the tail of its
    stderr is kept: its exit status (None when it ran longer than ``timeout_s`` and was killed)
    and that tail. Killed and reaped whatever happens, cancellation included: no zombie or orphan
    is left behind. Raises `OSError` when it cannot be started."""
    process = await anyio.open_process(command, stdin=DEVNULL, stdout=PIPE, stderr=PIPE)
    tail = bytearray()
    returncode: int | None = None
    try:
        with anyio.move_on_after(timeout_s):
            async with anyio.create_task_group() as tg:
                assert process.stderr is not None and process.stdout is not None
                tg.start_soon(_keep_tail, process.stderr, tail)
                await read_stdout(process.stdout)
                returncode = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
        with anyio.CancelScope(shield=True):
            await process.aclose()
    return returncode, bytes(tail[-STDERR_TAIL:]).decode("utf-8", "replace")


async def _keep_tail(stream: ByteReceiveStream, tail: bytearray) -> None:
    """Drain ``stream`` (a full pipe would stall the child), keeping its last bytes in ``tail``."""
    async for chunk in stream:
        tail += chunk
        if len(tail) > 2 * STDERR_TAIL:
            del tail[:-STDERR_TAIL]
