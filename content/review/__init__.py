"""Review: the workflow as one transition table and its applier, the reviewer guards, the machine
stage, human tasks (queue, claim, decide), who may see what, and the review history."""

from content.review.guards import Guard
from content.review.history import HistoryEntry, history
from content.review.machine import (
    run_machine_stage,
    stuck_in_machine_stage,
    texts_for_second_opinion,
)
from content.review.tasks import MAX_COMMENT, TaskView, claim, decide, list_tasks
from content.review.transitions import (
    DECISIONS,
    ENDED,
    STAGE_RULES,
    TRANSITIONS,
    Party,
    StageRule,
    Transition,
    decides,
    decision_outcome,
    find,
    revision_state,
    stages_of,
    workable,
)
from content.review.visibility import (
    can_see_unpublished,
    handed_to,
    is_owner,
    is_public,
    may_see_media,
    uses_media,
)
from content.review.workflow import apply

__all__ = [
    "DECISIONS",
    "ENDED",
    "MAX_COMMENT",
    "STAGE_RULES",
    "TRANSITIONS",
    "Guard",
    "HistoryEntry",
    "Party",
    "StageRule",
    "TaskView",
    "Transition",
    "apply",
    "can_see_unpublished",
    "claim",
    "decide",
    "decides",
    "decision_outcome",
    "find",
    "handed_to",
    "history",
    "is_owner",
    "is_public",
    "list_tasks",
    "may_see_media",
    "revision_state",
    "run_machine_stage",
    "stages_of",
    "stuck_in_machine_stage",
    "texts_for_second_opinion",
    "uses_media",
    "workable",
]
