"""Column types shared by the tables: times in UTC, enums stored as plain strings."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field

from infra.dbtypes import UtcDateTime

TZ = UtcDateTime()


def _enum(enum: type[StrEnum], length: int = 32) -> Any:
    # Stored as plain strings (no native PostgreSQL enum), so adding a value needs no DDL dance.
    # SQLAlchemy stores a member's *name*: a new enum's names must equal its values.
    return sa.Enum(enum, native_enum=False, create_constraint=False, length=length)


class _EnumList(sa.TypeDecorator[list[Any]]):
    """A JSON list of enum values, read back as members (the JSON holds the plain strings)."""

    impl = JSON
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: list[Any] | None, dialect: sa.Dialect) -> Any:
        return None if value is None else [str(self.enum(v)) for v in value]

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> list[Any] | None:
        return None if value is None else [self.enum(v) for v in value]


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(TZ, nullable=nullable, index=index))
