"""This installation's identity: one row, made the first time Kepu starts on its database."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from content.models.columns import TZ
from infra.clock import utcnow


class Installation(SQLModel, table=True):
    """The random id that tells this deployment's processes from another's on a shared Redis
    (staging and production on one server, say). ``slot`` is always 1: one row at most."""

    slot: int = Field(default=1, primary_key=True)
    id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
