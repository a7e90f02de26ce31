"""Operators: takedown and pinning, the screening dictionary and the rumor library."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import Timestamp
from content.models import ContentStatus, Severity


class TermIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: Annotated[str, StringConstraints(max_length=200)]
    category: Annotated[str, StringConstraints(max_length=64)]
    severity: Severity
    pinyin: bool = False  # also match its pinyin spelling and homophones


class TermOut(BaseModel):
    id: str
    term: str
    category: str
    severity: Severity
    created_at: Timestamp
    pinyin: bool = False


class RumorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim: Annotated[str, StringConstraints(max_length=1000)]
    truth: Annotated[str, StringConstraints(max_length=10_000)]
    keywords: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    source: Annotated[str, StringConstraints(max_length=1000)] | None = None


class RumorOut(BaseModel):
    id: str
    claim: str
    truth: str
    keywords: list[str]
    source: str | None
    created_at: Timestamp


class TakedownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(max_length=1000)]


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: datetime


class StatusOut(BaseModel):
    id: str
    status: ContentStatus
    extra: dict[str, Any] | None = None


class DisciplineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: Annotated[str, StringConstraints(max_length=64)]
    name: Annotated[str, StringConstraints(max_length=64)]


class ClaimPatternIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    family: Annotated[str, StringConstraints(max_length=64)]
    # The pattern language: docs/screening.md ("Operators' claim patterns").
    pattern: Annotated[str, StringConstraints(max_length=200)]
    severity: Severity = Severity.warn
    message: Annotated[str, StringConstraints(max_length=1000)]


class ClaimPatternOut(BaseModel):
    id: str
    family: str
    pattern: str
    severity: Severity
    message: str
    created_at: Timestamp
