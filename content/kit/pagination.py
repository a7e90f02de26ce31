"""Keyset pagination: a page of rows after a cursor, and the cursor of the page that follows;
by id (ids sort by creation), or newest first by a time column (a favourite's, a follow's)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, TypeVarTuple, overload

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from content.errors import Invalid

T = TypeVar("T")
K = TypeVar("K")
Ts = TypeVarTuple("Ts")


def cut(rows: Sequence[T], limit: int, key: Callable[[T], K]) -> tuple[list[T], K | None]:
    """The first ``limit`` of ``rows`` (read ``limit + 1`` to learn whether more follow) and, when
    more follow, the key of the last row kept: where the next page starts."""
    page = list(rows[:limit])
    return page, (key(page[-1]) if len(rows) > limit and page else None)


@overload
async def page_by_id(
    session: AsyncSession,
    query: SelectOfScalar[T],
    id_column: Mapped[str],
    cursor: str | None,
    limit: int,
    *,
    key: Callable[[T], str],
    newest_first: bool = False,
) -> tuple[list[T], str | None]: ...


@overload
async def page_by_id(
    session: AsyncSession,
    query: Select[*Ts],
    id_column: Mapped[str],
    cursor: str | None,
    limit: int,
    *,
    key: Callable[[tuple[*Ts]], str],
    newest_first: bool = False,
) -> tuple[list[tuple[*Ts]], str | None]: ...


async def page_by_id(
    session: AsyncSession,
    query: Any,
    id_column: Mapped[str],
    cursor: str | None,
    limit: int,
    *,
    key: Callable[[Any], str],
    newest_first: bool = False,
) -> tuple[list[Any], str | None]:
    """Up to ``limit`` rows of ``query`` in the order of ``id_column`` (ids are sortable: newest
    last), after the row whose id is ``cursor``. The cursor is that id as it is, so cursors
    clients already hold stay valid."""
    if newest_first:
        query = query.order_by(id_column.desc())
        if cursor:
            query = query.where(id_column < cursor)
    else:
        query = query.order_by(id_column)
        if cursor:
            query = query.where(id_column > cursor)
    rows = (await session.exec(query.limit(limit + 1))).all()
    return cut(rows, limit, key)


@dataclass(frozen=True)
class Mark:
    """Where a newest-first page by time stopped: the last row's time and id."""

    at: datetime
    id: str


def encode_mark(mark: Mark) -> str:
    raw = json.dumps([mark.at.isoformat(), mark.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_mark(cursor: str) -> Mark:
    """The mark a cursor holds, or 422 ``invalid`` naming ``cursor``."""
    bad = Invalid("cursor is not one this API gave out", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, row_id = json.loads(raw)
        when = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise bad from exc
    if when.tzinfo is None or not isinstance(row_id, str) or not 0 < len(row_id) <= 64:
        raise bad
    return Mark(when.astimezone(UTC), row_id)


async def page_by_time(
    session: AsyncSession,
    query: Any,
    at_column: Mapped[datetime],
    id_column: Mapped[str],
    cursor: str | None,
    limit: int,
    *,
    key: Callable[[Any], Mark],
) -> tuple[list[Any], str | None]:
    """Up to ``limit`` rows of ``query``, newest ``at_column`` first (ties by ``id_column``),
    after the row a ``cursor`` from an earlier page marks; one query. Rows added meanwhile
    shift nothing: the next page starts strictly after the mark."""
    if cursor:
        mark = decode_mark(cursor)
        query = query.where(
            sa.or_(at_column < mark.at, sa.and_(at_column == mark.at, id_column < mark.id))
        )
    query = query.order_by(at_column.desc(), id_column.desc())
    rows = (await session.exec(query.limit(limit + 1))).all()
    page, last = cut(rows, limit, key)
    return page, encode_mark(last) if last else None
