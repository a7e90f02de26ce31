"""Jobs written with the transaction that asks for them, for the drain to enqueue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import JSON, Column, Field, SQLModel

from content.models.columns import TZ, _ts
from infra.clock import utcnow
from infra.ids import new_id


class JobOutbox(SQLModel, table=True):
    """A job some change needs, written in the same transaction as that change (the database,
    not the queue, is the truth). Relayed to the queue after the commit, marked when a worker
    takes it, deleted when it is done; see content/jobs.py and docs/jobs.md."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=64)
    args: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str = Field(default="", max_length=64, index=True)  # the id the job is about
    # When a worker should have taken it by (enqueued, or due again after a retry delay).
    due_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(TZ, nullable=False, index=True)
    )
    relays: int = 0  # how many times the relay enqueued it again
    taken_by: str | None = Field(default=None, max_length=64)  # the delivery (queue task id)
    taken_at: datetime | None = _ts(nullable=True)
    heartbeat_at: datetime | None = _ts(nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=TZ)


class CronFiring(SQLModel, table=True):
    """A firing of a scheduled job (its queue task id, the same on every worker), recorded by
    the worker that runs it: a firing the queue hands out again (Redis lost its record in a
    failover) finds its row and is skipped. Rows older than a day are deleted by the sweep."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=64)
    ran_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(TZ, nullable=False, index=True)
    )
