"""Keyset pagination: a page of rows after a cursor, and the cursor of the page that follows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, TypeVarTuple, overload

from sqlalchemy.orm import Mapped
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

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
