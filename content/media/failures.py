"""What can go wrong while processing an upload: `MediaRejected` (the file's fault, final) or
`TransientMediaError` (worth another try); anything not declared here is a bug."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from infra.ffmpeg import FfmpegError
from infra.storage.base import ObjectNotFound, StorageUnavailable

_T = TypeVar("_T")


class MediaRejected(Exception):
    """The upload cannot become media, whatever is retried. ``reason`` is for the creator
    (Chinese, then English); ``code`` is stable for code and tests."""

    def __init__(self, reason: str, *, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientMediaError(Exception):
    """Processing failed for a reason outside the file (storage, ffmpeg killed or timed out,
    disk); try again later. The message is for the log, never for the creator; the original
    error is ``__cause__``."""


# Reasons for failures that are not the file's fault, shown when Kepu gives up.
GAVE_UP_REASON = (
    "多次处理均未成功，请稍后重新上传 / processing kept failing on our side; upload the file "
    "again later"
)
INTERNAL_REASON = (
    "处理时出现内部错误，请重新上传；如仍失败请联系我们 / something went wrong on our side while "
    "processing this file; upload it again, and contact us if it fails again"
)


def missing_original() -> MediaRejected:
    return MediaRejected(
        "找不到上传的原始文件，请重新上传 / the uploaded file is gone; upload it again",
        code="missing_original",
    )


def damaged(what: str = "video") -> MediaRejected:
    """ffmpeg could not read the file's data although it opened: the file is broken."""
    zh = "视频" if what == "video" else "图片"
    return MediaRejected(
        f"{zh}文件已损坏或不完整，无法处理，请重新导出后上传 / the {what} file is damaged or "
        f"incomplete and cannot be processed; export it again and upload it",
        code="corrupt",
    )


def from_ffmpeg(exc: FfmpegError, what: str = "video") -> Exception:
    """The failure an ffmpeg error stands for: a retry when ffmpeg was stopped from outside,
    a damaged file when ffmpeg itself refused the input. Its stderr stays in the log."""
    if exc.transient:
        return TransientMediaError(f"ffmpeg did not finish: {exc}")
    return damaged(what)


async def storage_call(call: Awaitable[_T]) -> _T:
    """Await a storage call; an unreachable store or a failing local disk is worth a retry.
    A missing object passes through for the caller to name."""
    try:
        return await call
    except ObjectNotFound:
        raise
    except (StorageUnavailable, OSError) as exc:
        raise TransientMediaError(f"storage failed: {exc}") from exc
