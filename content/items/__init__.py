"""Contents (articles and videos) as their creators and readers see them: drafts, the lifecycle
calls (create, edit, submit, withdraw, take down, pin) and reading."""

from content.items.drafts import EDITABLE_FIELDS, Draft
from content.items.reading import ContentView, detail, mine, shown_images
from content.items.service import create, edit, pin, submit, takedown, withdraw, working_revision

__all__ = [
    "EDITABLE_FIELDS",
    "ContentView",
    "Draft",
    "create",
    "detail",
    "edit",
    "mine",
    "pin",
    "shown_images",
    "submit",
    "takedown",
    "withdraw",
    "working_revision",
]
