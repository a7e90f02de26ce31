"""The audit trail of erasures on request (PIPL): who ran one, when, and how much it erased."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import JSON, Column, Field, SQLModel

from content.models.columns import TZ
from infra.clock import utcnow
from infra.ids import new_id


class Erasure(SQLModel, table=True):
    """One run of ``kepu user purge``. Holds no personal data: the account's opaque id (the row
    it names is anonymised by the same run), the operator's login name on the host, and counts."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    user_id: str = Field(index=True, max_length=26)
    operator: str = Field(max_length=64)
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
