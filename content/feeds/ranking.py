"""The hot feed's score: interactions weighted by effort, decayed by age.

    score = log10(1 + 2·likes + 3·favorites + 4·shares + 2·comments + 0.5·viewers + completions)
            + published_at_seconds / DECAY_S

Why this shape: the age term grows with publication time instead of shrinking with "now", so
two items keep their relative order as time passes and nothing needs re-scoring on a clock —
an item's score changes only when its own interactions do (a like, a flush of views). The
logarithm makes the first interactions count most: every DECAY_S seconds (12.5 h) of age is
worth ten times the interactions, so a day-old item needs about a hundred times the engagement
of a fresh one to stay above it. Weights follow effort: a share or a favourite says more than a
like, a finished video more than a started one, a view least of all (it costs nothing). Every
term counts people, each once (content/engagement: likes, shares and viewers are rows keyed by
person, a completion is what the server saw), so requests cannot buy rank: only accounts can.
"""

from __future__ import annotations

import math
from datetime import datetime

from content.models import ContentStats

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
