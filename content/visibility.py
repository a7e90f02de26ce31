"""Who may see what: nobody sees another's drafts, unpublished content only by its owner and the
people reviewing it, and the public only what is published."""

from __future__ import annotations

from content.accounts import REVIEWER_ROLES
from content.models import Content, ContentStatus, Role, User


def is_owner(user: User | None, content: Content) -> bool:
    return user is not None and user.id == content.owner_id


def is_staff_viewer(user: User | None) -> bool:
    """Reviewers and admins see submitted work (never drafts) and the review history."""
    return user is not None and bool(REVIEWER_ROLES.union({Role.admin.value}) & set(user.roles))


def can_see_unpublished(user: User | None, content: Content) -> bool:
    if is_owner(user, content):
        return True
    return is_staff_viewer(user) and content.status != ContentStatus.draft


def is_public(content: Content) -> bool:
    return content.status == ContentStatus.published and content.live_revision_id is not None
