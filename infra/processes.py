"""Child processes that die with their parent: ffmpeg and the OCR reader run behind a launcher
so a SIGKILLed worker never leaves them burning both cores and racing the job's next try."""

from __future__ import annotations

import os
import sys

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


async def keep_tail(stream: ByteReceiveStream, tail: bytearray) -> None:
    """Drain ``stream`` (a full pipe would stall the child), keeping its last bytes in ``tail``."""
    async for chunk in stream:
        tail += chunk
        if len(tail) > 2 * STDERR_TAIL:
            del tail[:-STDERR_TAIL]


def tail_text(tail: bytearray) -> str:
    return bytes(tail[-STDERR_TAIL:]).decode("utf-8", "replace")
