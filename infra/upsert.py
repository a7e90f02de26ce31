"""INSERT … ON CONFLICT for the database in use (SQLite and PostgreSQL spell it alike in
SQLAlchemy, but each needs its own dialect's insert)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession


def insert_for(session: AsyncSession, model: Any) -> Any:
    bind = session.bind
    name = bind.dialect.name if bind is not None else "postgresql"
    if name == "sqlite":
        return sqlite.insert(model)
    return postgresql.insert(model)
