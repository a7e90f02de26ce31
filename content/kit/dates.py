"""Times that come from outside (request bodies, cursors): aware, and within what UTC can hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from content.errors import Invalid

# Statistics count days as the mini-program's audience lives them: China Standard Time, which
# has no daylight saving, so a fixed offset is exact.
STATS_TZ = timezone(timedelta(hours=8), "CST")


def as_utc(value: datetime, field: str, *, code: str = "invalid_date") -> datetime:
    """``value`` in UTC, or Invalid: naive times are ambiguous, and a time near year 9999 with
    a negative offset (9999-12-31T23:59:59-14:00) is past the last moment a datetime holds."""
    if value.tzinfo is None:
        raise Invalid(
            f"{field} needs a time zone, e.g. 2026-12-01T00:00:00+08:00", field=field, code=code
        )
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise Invalid(f"{field} is out of the range of dates", field=field, code=code) from exc
