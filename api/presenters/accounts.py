"""Accounts as the contract shows them."""

from __future__ import annotations

from api import schemas
from content.models import User


def user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut(
        id=user.id,
        display_name=user.display_name,
        roles=user.roles,
        disciplines=user.disciplines,
        username=user.username,
    )
