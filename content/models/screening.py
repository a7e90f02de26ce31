"""The screening dictionary, its version, operators' claim patterns and the rumor library."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from content.models.columns import TZ, _enum
from content.models.core import Severity
from infra.clock import utcnow
from infra.ids import new_id


class ScreeningTerm(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    term: str = Field(unique=True, max_length=100)
    category: str = Field(max_length=32)
    severity: Severity = Field(sa_type=_enum(Severity))
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
    # The term as screening matches it (case, width, traditional/simplified, separators folded):
    # unique, so "Falun Gong" and "falun gong" cannot both be entered. Null only for rows that
    # collided when the column was added.
    key: str | None = Field(default=None, max_length=200, sa_column_kwargs={"unique": True})
    # Also match its pinyin spelling and homophones (terms of three or more Chinese characters).
    pinyin: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class ScreeningVersion(SQLModel, table=True):
    """One row: the version of the screening dictionary and rumor library, bumped by every change,
    so every API and worker process notices a change before its next screening."""

    __tablename__ = "screening_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class ClaimPattern(SQLModel, table=True):
    """A claim pattern an operator added (docs/screening.md, "Operators' claim patterns")."""

    __tablename__ = "claim_pattern"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    family: str = Field(max_length=32)
    pattern: str = Field(max_length=200)
    # The pattern as it matches (its words folded like the text): unique, so one pattern is not
    # entered twice in two spellings.
    key: str = Field(max_length=400, sa_column_kwargs={"unique": True})
    severity: Severity = Field(sa_type=_enum(Severity))
    message: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class Rumor(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    claim: str = Field(max_length=500)
    truth: str = Field(sa_type=sa.Text)
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
