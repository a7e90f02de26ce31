"""The scratch directory a video or an image is processed in, and the original downloaded to it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio

from content.media.failures import missing_original, storage_call
from infra.storage.base import ObjectNotFound, Storage


@asynccontextmanager
async def scratch_dir(workdir: Path, media_id: str) -> AsyncIterator[Path]:
    """A fresh directory under ``workdir``, removed at the end whatever happens."""
    scratch = Path(
        await anyio.to_thread.run_sync(lambda: tempfile.mkdtemp(prefix=f"{media_id}-", dir=workdir))
    )
    try:
        yield scratch
    finally:
        # Shielded: a cancelled job must not leave its scratch files behind.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: shutil.rmtree(scratch, ignore_errors=True))


async def download_original(storage: Storage, original_key: str, scratch: Path) -> Path:
    source = scratch / "original"
    try:
        await storage_call(storage.download_to(original_key, source))
    except ObjectNotFound as exc:
        raise missing_original() from exc
    return source
