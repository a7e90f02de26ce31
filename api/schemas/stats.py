"""Statistics, the creator's dashboard and the rankings (docs/stats.md)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Timestamp
from api.schemas.feed import CardOut
from content.models import Action, ContentStatus, ContentType, RankingKind, RankingPeriod, Stage


class ReachOut(BaseModel):
    views: int = Field(description="views; a person's views of a content count once a day")
    viewers: int = Field(description="people who viewed a content for the first time")
    completions: int = Field(description="people who got through 90 % of a content, once each")
    completion_rate: float = Field(description="completions / viewers, 0–1")
    watched_s: float = Field(description="seconds watched or read, as the server credited them")
    likes: int
    favorites: int
    shares: int


class SegmentOut(ReachOut):
    topic: str
    audience: str


class TypeReachOut(ReachOut):
    type: ContentType


class StageOutcomeOut(BaseModel):
    stage: Stage
    action: Action
    decisions: int
    mean_in_stage_s: float = Field(description="mean time from entering the stage to this")
    max_in_stage_s: float


class DayDecisionsOut(BaseModel):
    """One day's decisions in each stage (days without any are left out)."""

    day: date
    machine: int
    political: int
    science: int


class PublishingOut(BaseModel):
    published: int = Field(description="revisions published (science approvals)")
    mean_s: float = Field(description="mean time from submission to publication, in seconds")
    max_s: float


class ReviewStatsOut(BaseModel):
    stages: list[StageOutcomeOut]
    per_day: list[DayDecisionsOut] = Field(description="decisions per stage, day by day")
    submit_to_publish: PublishingOut


class ReasonCountOut(BaseModel):
    reason: str
    reports: int


class AdminStatsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    days: int
    totals: ReachOut
    by_topic_audience: list[SegmentOut] = Field(
        description="a content counts in each of its topic × audience pairs"
    )
    by_type: list[TypeReachOut]
    review: ReviewStatsOut
    reports_by_reason: list[ReasonCountOut] = Field(
        default_factory=list, description="reports filed in the range, by reason"
    )


class MyContentStatsOut(ReachOut):
    content_id: str
    title: str
    type: ContentType
    status: ContentStatus
    published_at: Timestamp | None
    last_7_days: ReachOut


class RankedCardOut(CardOut):
    rank: int
    score: float


class RankedCreatorOut(BaseModel):
    rank: int
    id: str
    display_name: str
    avatar_url: str | None = None
    score: float


class RankingOut(BaseModel):
    period: RankingPeriod
    kind: RankingKind
    items: list[RankedCardOut] | list[RankedCreatorOut]
    computed_at: Timestamp | None = Field(description="null until the first computation")
