"""Whether a content is pinned now, in Python and in SQL: one rule, written twice side by side."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import and_, col

from content.models import Content
from infra.clock import utcnow


def is_pinned(pinned_until: datetime | None, now: datetime | None = None) -> bool:
    return pinned_until is not None and pinned_until > (now or utcnow())


def pinned_clause(now: datetime) -> ColumnElement[bool]:
    """`is_pinned` as a WHERE clause on `Content`."""
    return and_(col(Content.pinned_until).is_not(None), col(Content.pinned_until) > now)
