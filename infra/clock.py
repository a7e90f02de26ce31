"""Timezone-aware "now", in one place so every timestamp is UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
