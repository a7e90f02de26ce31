"""An account erased on request: the row stays (comments and review history point at it), but
nothing in it names or reaches the person any more."""

from __future__ import annotations

from sqlmodel import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import NotFound
from content.models import User

ERASED_NAME = "已注销用户"  # "a closed account": what others see where the person was shown


async def find_person(session: AsyncSession, ref: str) -> User:
    """The account ``ref`` names, by id or username."""
    query = select(User).where(or_(User.id == ref, User.username == ref)).with_for_update()
    user = (await session.exec(query)).first()
    if user is None:
        raise NotFound(
            f"no user has the id or username {ref!r}; check it (an erased account has no"
            " username any more: name it by its id)",
            code="user.not_found",
        )
    return user


def anonymise(user: User) -> bool:
    """Clear every identifying column and disable the account: tokens already issued stop working
    on their next request (accounts.get_active_user reads ``is_active`` each time), and no login
    can reach it (no username, password or WeChat id is left). False if it already was."""
    values: dict[str, object] = {
        "username": None,
        "password_hash": None,
        "wechat_openid": None,
        "wechat_unionid": None,
        "display_name": ERASED_NAME,
        "avatar_media_id": None,
        "roles": [],
        "disciplines": [],
        "is_active": False,
    }
    changed = any(getattr(user, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(user, name, value)
    return changed
