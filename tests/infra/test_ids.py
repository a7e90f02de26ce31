"""Ids keep their layout: 26 Crockford base32 digits, the clock first, so they sort by time."""

from __future__ import annotations

import os
import time
from unittest import mock

from infra.ids import new_id

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _digits(value: int) -> str:
    """The layout spelled out: 26 digits of 5 bits, most significant first."""
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def test_an_id_is_the_clock_then_the_random_bits_in_crockford_base32() -> None:
    for ms, noise in [(0, b"\0" * 10), (2**48 - 1, b"\xff" * 10), (1_765_000_000_000, None)]:
        noise = noise or os.urandom(10)
        with (
            mock.patch("infra.ids.time.time", return_value=ms / 1000),
            mock.patch("infra.ids.os.urandom", return_value=noise),
        ):
            made = new_id()
        assert made == _digits((ms << 80) | int.from_bytes(noise, "big"))


def test_ids_sort_by_creation_time() -> None:
    first = new_id()
    time.sleep(0.002)  # a later millisecond, which the first digits hold
    assert len(first) == 26 and first < new_id()
