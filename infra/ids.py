"""Opaque, time-ordered string ids (ULID layout: 48-bit ms clock, 80 random bits, base32).

Time order lets cursors page by id alone and keeps B-tree inserts at the right edge.
"""

import base64
import os
import time

# RFC 4648's base32 digits to Crockford's (lower case): the standard encoder works 5 bytes at a
# time from a table, about half the cost of a digit-by-digit loop (every request id is one).
_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789abcdefghjkmnpqrstvwxyz"
)


def new_id() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    # 26 digits of 5 bits = the 128-bit value under 2 leading zero bits; shifted into 17 bytes,
    # the encoder's first 26 digits are exactly those.
    return base64.b32encode((value << 6).to_bytes(17, "big"))[:26].translate(_CROCKFORD).decode()
