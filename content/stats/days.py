"""Stats days: calendar days in China Standard Time (kit's STATS_TZ), and the
ranges of them a request may ask for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from content.errors import Invalid
from content.kit import STATS_TZ
from infra.clock import utcnow

MAX_RANGE_DAYS = 366  # a year, leap day included
DEFAULT_RANGE_DAYS = 30


def today() -> date:
    return utcnow().astimezone(STATS_TZ).date()


def day_of(at: datetime) -> date:
    return at.astimezone(STATS_TZ).date()


def bounds(day: date) -> tuple[datetime, datetime]:
    """The first moment of ``day`` and of the day after, as aware times."""
    start = datetime.combine(day, time(), STATS_TZ)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def each(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    @classmethod
    def ending(cls, last: date, days: int) -> DayRange:
        return cls(last - timedelta(days=days - 1), last)


def _parse(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(
            f"{field} must be a date like 2026-12-01", field=field, code="stats.bad_date"
        ) from None


def day_range(first: str | None, last: str | None) -> DayRange:
    """The days from ``first`` to ``last`` (ISO dates, both included); the last
    DEFAULT_RANGE_DAYS up to today when not given. Invalid naming the field when a date cannot
    be read, ``from`` is after ``to``, or the range is longer than MAX_RANGE_DAYS."""
    end = _parse(last, "to") if last else today()
    start = _parse(first, "from") if first else end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise Invalid("from must not be after to", field="from", code="stats.range_reversed")
    found = DayRange(start, end)
    if found.days > MAX_RANGE_DAYS:
        raise Invalid(
            f"at most {MAX_RANGE_DAYS} days at once; ask for a shorter range",
            field="to",
            code="stats.range_too_long",
        )
    return found
