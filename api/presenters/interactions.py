"""A content's counters after a viewer's reaction."""

from __future__ import annotations

from api import schemas
from api.presenters.feed import card_stats
from content.models import ContentStats


def stats_out(content_id: str, stats: ContentStats) -> schemas.StatsOut:
    return schemas.StatsOut(
        **card_stats(stats).model_dump(),
        content_id=content_id,
        viewers=stats.viewers,
        completion_rate=round(stats.completions / stats.viewers, 4) if stats.viewers else None,
    )
