"""Opaque, time-ordered string ids (ULID layout: 48-bit ms clock, 80 random bits, base32).

Time order lets cursors page by id alone and keeps B-tree inserts at the right edge.
"""

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    out = []
    for _ in range(26):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out)).lower()
