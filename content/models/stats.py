"""Daily records and the rollups statistics and rankings are computed from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from content.models.columns import TZ, _enum
from content.models.core import Action, ContentType, Stage
from infra.clock import utcnow


class ViewDay(SQLModel, table=True):
    """What the flushes of view events added to one content on one stats day (China time): the
    daily record the statistics roll up, since a viewer's own row keeps only their latest day.
    Written once per batch (``FlushedBatch`` keeps a batch from counting twice)."""

    __tablename__ = "view_day"

    content_id: str = Field(foreign_key="content.id", primary_key=True, max_length=26)
    day: date = Field(primary_key=True, index=True)
    views: int = 0  # a person's views count once a day, as on the counters
    viewers: int = 0  # people who viewed the content for the first time
    completions: int = 0  # people who got through it for the first time
    watched_s: float = 0.0


class StatsContentDay(SQLModel, table=True):
    """Rollup: one content's reach and reactions on one stats day (content/stats/rollup.py)."""

    __tablename__ = "stats_content_day"

    day: date = Field(primary_key=True)
    content_id: str = Field(foreign_key="content.id", primary_key=True, index=True, max_length=26)
    owner_id: str = Field(max_length=26, index=True)
    type: ContentType = Field(sa_type=_enum(ContentType))
    views: int = 0
    viewers: int = 0
    completions: int = 0
    watched_s: float = 0.0
    likes: int = 0
    favorites: int = 0
    shares: int = 0


class StatsSegmentDay(SQLModel, table=True):
    """Rollup: the contents of one topic × audience, or (topic and audience empty) of one content
    type, on one stats day. A content counts in each of its topic × audience pairs."""

    __tablename__ = "stats_segment_day"

    day: date = Field(primary_key=True)
    topic: str = Field(primary_key=True, max_length=64)
    audience: str = Field(primary_key=True, max_length=64)
    type: str = Field(primary_key=True, max_length=16)  # "" on a topic × audience row
    contents: int = 0
    views: int = 0
    viewers: int = 0
    completions: int = 0
    watched_s: float = 0.0
    likes: int = 0
    favorites: int = 0
    shares: int = 0


class StatsReviewDay(SQLModel, table=True):
    """Rollup: the decisions of one review stage on one stats day, with how long the revisions
    waited in that stage and since their submission (from the review event log)."""

    __tablename__ = "stats_review_day"

    day: date = Field(primary_key=True)
    stage: Stage = Field(primary_key=True, sa_type=_enum(Stage, length=16))
    action: Action = Field(primary_key=True, sa_type=_enum(Action))
    decisions: int = 0
    in_stage_s: float = 0.0  # summed over the decisions
    in_stage_max_s: float = 0.0
    since_submit_s: float = 0.0  # summed: on a science approval, submission to publication
    since_submit_max_s: float = 0.0


class RankingKind(StrEnum):
    contents = "contents"
    creators = "creators"


class RankingPeriod(StrEnum):
    week = "week"
    month = "month"


class RankingEntry(SQLModel, table=True):
    """One place on a ranking, as the last computation left it (content/stats/rankings.py)."""

    __tablename__ = "ranking_entry"

    period: RankingPeriod = Field(primary_key=True, sa_type=_enum(RankingPeriod, length=16))
    kind: RankingKind = Field(primary_key=True, sa_type=_enum(RankingKind, length=16))
    position: int = Field(primary_key=True)
    subject_id: str = Field(max_length=26)  # a content's id or a creator's
    score: float = 0.0
    computed_at: datetime = Field(default_factory=utcnow, sa_type=TZ)
