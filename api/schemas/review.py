"""The reviewers' queue, and the review history of a content."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from api.schemas.common import Timestamp
from api.schemas.contents import FindingOut, Reference
from api.schemas.feed import Author, CardOut
from api.schemas.media import Caption, MediaText, Rendition
from content.models import Action, ContentStatus, Stage, TaskStatus
from content.review import DECISIONS, MAX_COMMENT, STAGE_RULES


class ReviewEventOut(BaseModel):
    id: str
    revision: int | None
    stage: Stage | None
    action: Action
    decision: Action | None
    from_status: ContentStatus
    to_status: ContentStatus
    actor: Author | None  # who took the action; None for the machine stage
    reviewer: Author | None  # set on review decisions
    comment: str | None
    created_at: Timestamp


class TaskContent(CardOut):
    body: str | None
    body_html: str | None
    references: list[Reference]
    play: list[Rendition]
    captions: list[Caption] = Field(default_factory=list)  # the video's subtitle tracks
    discipline: str
    # What the reviewer's client shows beside the player (null for an article, or until the
    # media is ready): the text read off the video and the lines on the cover.
    text: MediaText | None = None
    cover_text: MediaText | None = None


class TaskOut(BaseModel):
    id: str
    content_id: str
    revision: int
    stage: Stage
    status: TaskStatus
    claimed_by: str | None
    claim_expires_at: Timestamp | None
    decided_by: str | None = None
    comment: str | None = None
    findings: list[FindingOut]
    content: TaskContent


# The human review stages (content.workflow.STAGE_RULES); the service refuses the machine stage.
ReviewStage = Annotated[Stage, WithJsonSchema({"type": "string", "enum": list(STAGE_RULES)})]


def _task_filter(value: str) -> str:
    if value not in {*TaskStatus, "all"}:
        raise ValueError(f"one of {', '.join(TaskStatus)} or all")
    return value


# A task status, or "all".
TaskFilter = Annotated[
    str,
    AfterValidator(_task_filter),
    WithJsonSchema({"type": "string", "enum": [*TaskStatus, "all"]}),
]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The workflow's decisions (content.workflow.DECISIONS); the service refuses other actions.
    decision: Annotated[Action, WithJsonSchema({"type": "string", "enum": sorted(DECISIONS)})]
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT)] | None = None
