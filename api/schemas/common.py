"""Shared pieces of the contract: a page of results, slugs, long text and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, PlainSerializer, StringConstraints, WithJsonSchema

T = TypeVar("T")


Slug = Annotated[str, StringConstraints(max_length=64)]


LongText = Annotated[str, StringConstraints(max_length=200_000)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def utc_iso(value: datetime) -> str:
    """The one form of a time in a response: UTC, milliseconds, ``Z`` (2026-12-07T11:20:22.123Z,
    what JavaScript's ``Date.prototype.toISOString`` writes and ``new Date()`` reads)."""
    if value.tzinfo is None:  # stored as UTC; SQLite hands it back without a zone
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


# A time in a response body. Request bodies keep `datetime`: they accept any ISO 8601 form.
Timestamp = Annotated[
    datetime,
    PlainSerializer(utc_iso, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-12-07T11:20:22.123Z"]},
        mode="serialization",
    ),
]
