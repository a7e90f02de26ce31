"""The CDN from Kepu's side: the client of the purge hook (``KEPU_CDN_PURGE_URL``: one POST per
batch of removed public URLs, with the hook's token; the body is documented in docs/cdn.md), and
a check that URLs taken down are no longer served."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

# A purge is small; a hook slower than this is treated as down and the job tries again.
TIMEOUT_S = 10.0


class PurgeFailed(Exception):
    """The hook did not take the batch; ``refused`` when it turned the token away (401/403),
    which no retry alone will cure: an operator must fix KEPU_CDN_PURGE_TOKEN or the hook."""

    def __init__(self, reason: str, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.refused = refused


async def post_purge(http: httpx.AsyncClient, url: str, token: str, body: dict[str, Any]) -> None:
    """POST ``body`` to the hook; returns once it answered 2xx, raises `PurgeFailed` otherwise.
    The body's ``id`` goes in ``Idempotency-Key`` too, so a hook can drop a batch sent twice."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(body["id"])}
    try:
        answer = await http.post(url, json=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise PurgeFailed(f"the hook could not be reached ({type(exc).__name__})") from exc
    if answer.status_code in (401, 403):
        raise PurgeFailed(
            f"the hook refused the token (HTTP {answer.status_code}): check that "
            "KEPU_CDN_PURGE_TOKEN is the token the hook expects",
            refused=True,
        )
    if not answer.is_success:
        raise PurgeFailed(f"the hook answered HTTP {answer.status_code}")


@dataclass
class Checked:
    """What the CDN answers for URLs that should be gone."""

    gone: list[str] = field(default_factory=list)  # 403, 404 or 410
    served: list[str] = field(default_factory=list)  # still answered with the bytes
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (url, why we cannot tell)


async def check_gone(
    http: httpx.AsyncClient, urls: list[str], progress: Callable[[int], object]
) -> Checked:
    """Ask the CDN for each of ``urls`` (its first byte only, so a video costs nothing) as a
    viewer would, without credentials, and sort them by what it answers."""
    checked = Checked()
    for url in urls:
        try:
            answer = await http.get(url, headers={"Range": "bytes=0-0"}, timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            checked.unknown.append((url, type(exc).__name__))
        else:
            if answer.status_code in (403, 404, 410):
                checked.gone.append(url)
            elif answer.is_success:
                checked.served.append(url)
            else:
                checked.unknown.append((url, f"HTTP {answer.status_code}"))
        progress(1)
    return checked
