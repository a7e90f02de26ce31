"""The client of the CDN purge hook (``KEPU_CDN_PURGE_URL``): one POST per batch of removed
public URLs, with the hook's token; what the body holds is documented in docs/cdn.md."""

from __future__ import annotations

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
