"""The ``Range`` header of a GET on local-disk storage (RFC 9110 §14), checked before any byte is
sent: a bad one gets a clear error, not whatever the file response would do."""

from __future__ import annotations

import re

from infra.storage.base import InvalidRange, RangeNotSatisfiable

MAX_RANGES = 100
_SPEC = re.compile(r"(\d*)-(\d*)")


def check_range(header: str | None, size: int) -> None:
    """Raise `InvalidRange` for a header that is not ``bytes=<ranges>``, and
    `RangeNotSatisfiable` when a range starts at or past the end of a ``size``-byte object.
    Stricter than the file response that serves the bytes afterwards: whatever passes here, it
    serves as a range (or, past its own limit of ranges, whole)."""
    if header is None:
        return
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        raise InvalidRange("the Range header must look like 'bytes=0-1023'")
    parts = [p.strip() for p in specs.split(",")]
    if len(parts) > MAX_RANGES:
        raise InvalidRange(f"at most {MAX_RANGES} ranges may be asked for at once")
    for part in parts:
        match = _SPEC.fullmatch(part)
        if match is None or match.groups() == ("", ""):
            raise InvalidRange(f"{part!r} is not a byte range such as '0-1023', '1024-' or '-500'")
        first, last = match.groups()
        if first and last and int(first) > int(last):
            raise InvalidRange(f"{part!r} ends before it starts")
        # A range from `first`, or the last `last` bytes: empty ones cannot be served.
        if (first and int(first) >= size) or (not first and (int(last) == 0 or size == 0)):
            raise RangeNotSatisfiable(size)
