"""Feed cursors: the (score, id) of a page's last item, opaque to clients; the next page starts
strictly after it, so items published meanwhile shift nothing (docs/feeds.md)."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from content.errors import Invalid
from content.feeds.keys import Tab
from content.kit import as_utc
from content.models import Content

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ID = 64
CODE = "feed.bad_cursor"
_PIN = "pin"  # a cursor among the pins that lead the first pages of latest


@dataclass(frozen=True)
class Position:
    """Where a page ended: in the feed's order (score, id), or among the pins that lead
    `latest` (``pinned``: the score is the pin's end, longest-running first)."""

    score: float
    id: str
    pinned: bool = False


def pin_position(content: Content) -> Position:
    assert content.pinned_until is not None
    return Position(micros(content.pinned_until), content.id, pinned=True)


def after_pin(pin: Position, after: Position | None) -> bool:
    """Whether a pin comes after a cursor among the pins (the pin ending last first, then by
    id); every pin does on the first page."""
    if after is None:
        return True
    return pin.score < after.score or (pin.score == after.score and pin.id > after.id)


def micros(when: datetime) -> float:
    """A publication time as a sorted-set score: exact (microseconds fit a double's 53 bits)."""
    return float((when - _EPOCH) // timedelta(microseconds=1))


def from_micros(score: float) -> datetime:
    return _EPOCH + timedelta(microseconds=int(score))


def encode(tab: Tab, position: Position) -> str:
    if position.pinned:
        data: list[object] = [_PIN, from_micros(position.score).isoformat(), position.id]
    elif tab == Tab.hot:
        data = ["hot", position.score, position.id]
    else:
        data = [from_micros(position.score).isoformat(), position.id]
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad(why: str = "cursor is not one this API gave out") -> Invalid:
    return Invalid(why, field="cursor", code=CODE)


def decode(tab: Tab, cursor: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad() from exc
    if not isinstance(data, list) or not data or not isinstance(data[-1], str):
        raise _bad()
    content_id = data[-1]
    if not content_id or len(content_id) > _MAX_ID:
        raise _bad()
    if tab == Tab.hot:
        if len(data) != 3 or data[0] != "hot" or not isinstance(data[1], int | float):
            raise _bad("this cursor belongs to another tab; start from the first page")
        score = float(data[1])
        if not math.isfinite(score) or abs(score) > 1e12:
            raise _bad()
        return Position(score, content_id)
    pinned = tab == Tab.latest and len(data) == 3 and data[0] == _PIN
    if pinned:
        data = data[1:]
    if len(data) != 2 or not isinstance(data[0], str):
        raise _bad("this cursor belongs to another tab; start from the first page")
    try:
        when = datetime.fromisoformat(data[0])
    except ValueError as exc:
        raise _bad() from exc
    when = as_utc(when, "cursor", code=CODE)
    return Position(micros(when), content_id, pinned)
