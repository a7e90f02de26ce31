"""Shared pieces of the contract: a page of results, slugs and long text."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, StringConstraints

T = TypeVar("T")


Slug = Annotated[str, StringConstraints(max_length=64)]


LongText = Annotated[str, StringConstraints(max_length=200_000)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
