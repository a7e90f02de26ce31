"""The hot feed's score: interactions weighted by effort, decayed by age (the formula and why
it has this shape: docs/feeds.md)."""

from __future__ import annotations

import math
from datetime import datetime

from content.models import ContentStats

# Every DECAY_S of age (12.5 h) is worth ten times the interactions.
DECAY_S = 45_000.0
WEIGHTS = {
    "likes": 2.0,
    "favorites": 3.0,
    "shares": 4.0,
    "comments": 2.0,
    "viewers": 0.5,
    "completions": 1.0,
}


def hot_score(stats: ContentStats | None, published_at: datetime) -> float:
    weight = 1.0
    if stats is not None:
        weight += sum(w * float(getattr(stats, name)) for name, w in WEIGHTS.items())
    return round(math.log10(weight) + published_at.timestamp() / DECAY_S, 9)
