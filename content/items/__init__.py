"""Contents (articles and videos) as their creators and readers see them: drafts, the lifecycle
calls (create, edit, submit, withdraw, take down, pin), reading, and what operators find and
inspect."""

from content.items.drafts import EDITABLE_FIELDS, Draft
from content.items.operators import (
    OPERATOR_STATUSES,
    Found,
    Inspection,
    find,
    inspect,
    looks_like_id,
)
from content.items.reading import ContentView, detail, mine, shown_images
from content.items.service import create, edit, pin, submit, takedown, withdraw, working_revision

__all__ = [
    "EDITABLE_FIELDS",
    "OPERATOR_STATUSES",
    "ContentView",
    "Draft",
    "Found",
    "Inspection",
    "create",
    "detail",
    "edit",
    "find",
    "inspect",
    "looks_like_id",
    "mine",
    "pin",
    "shown_images",
    "submit",
    "takedown",
    "withdraw",
    "working_revision",
]
