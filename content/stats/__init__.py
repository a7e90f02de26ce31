"""Statistics: rollups of each day's views, reactions, shares and review decisions, computed by
a job from the raw records; what operators read from them (/admin/stats, CSV export), a creator's
dashboard, and the rankings (科学传播榜单). See docs/stats.md."""

from content.stats import answers
from content.stats.backlog import DisciplineBacklog, StageBacklog, Waiting, review_backlog
from content.stats.days import MAX_RANGE_DAYS, DayRange, day_range, today
from content.stats.export import COLUMNS, content_day_rows
from content.stats.mine import MyContentStats, my_stats
from content.stats.rankings import (
    RankedContent,
    RankedCreator,
    Ranking,
    cache,
    compute,
    contents,
    creators,
    current,
)
from content.stats.report import (
    DayDecisions,
    Overview,
    Publishing,
    Reach,
    Segment,
    StageOutcome,
    TypeReach,
    overview,
)
from content.stats.rollup import roll_up

__all__ = [
    "COLUMNS",
    "MAX_RANGE_DAYS",
    "DayDecisions",
    "DayRange",
    "DisciplineBacklog",
    "MyContentStats",
    "Overview",
    "Publishing",
    "RankedContent",
    "RankedCreator",
    "Ranking",
    "Reach",
    "Segment",
    "StageBacklog",
    "StageOutcome",
    "TypeReach",
    "Waiting",
    "answers",
    "cache",
    "compute",
    "content_day_rows",
    "contents",
    "creators",
    "current",
    "day_range",
    "my_stats",
    "overview",
    "review_backlog",
    "roll_up",
    "today",
]
