"""What viewers' interactions answer: counters after a reaction, follows, and what a viewer did."""

from __future__ import annotations

from api import schemas
from api.presenters.feed import card_stats
from content.models import ContentStats, ReactionKind


def stats_out(content_id: str, stats: ContentStats) -> schemas.StatsOut:
    return schemas.StatsOut(
        **card_stats(stats).model_dump(),
        content_id=content_id,
        viewers=stats.viewers,
        completion_rate=round(stats.completions / stats.viewers, 4) if stats.viewers else None,
    )


def accepted_out(content_id: str) -> schemas.AcceptedOut:
    return schemas.AcceptedOut(content_id=content_id)


def follow_out(creator_id: str, following: bool, followers: int) -> schemas.FollowOut:
    return schemas.FollowOut(creator_id=creator_id, following=following, followers=followers)


def my_interactions(kinds: dict[str, set[str]]) -> schemas.MyInteractions:
    """Per content id, the kinds of the viewer's reactions to it."""
    return schemas.MyInteractions(
        items=[
            schemas.MyInteraction(
                content_id=i,
                liked=ReactionKind.like.value in k,
                favorited=ReactionKind.favorite.value in k,
            )
            for i, k in kinds.items()
        ]
    )
