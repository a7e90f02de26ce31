"""Signed GET URLs that stay the same for a while: signed as at the start of a fixed window of
time, so the same object signed twice in one window gives the same URL (a feed page rebuilt a
minute later has the same bytes and ETag, and the mini-program's image cache hits)."""

from __future__ import annotations

import time

from infra.storage.base import check_expiry


def now() -> float:
    """The clock windows are cut from, in seconds since the epoch (tests move it)."""
    return time.time()


def aligned(at: float, min_validity_s: int, window_s: int) -> tuple[int, int]:
    """``(signed_at, lifetime_s)`` for a URL signed at ``at``: signed as at the start of its
    window, it lives ``min_validity_s`` past the window's end, so it is valid at least
    ``min_validity_s`` from ``at`` and at most that plus ``window_s``. With no window
    (``window_s`` 0), signed at ``at`` for exactly ``min_validity_s``."""
    if window_s <= 0:
        return int(at), check_expiry(min_validity_s)
    start = int(at // window_s) * window_s
    return start, check_expiry(min_validity_s + window_s)
