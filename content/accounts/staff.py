"""Operators managing accounts: the list of users (searched, filtered by role, paged), and the
changes an operator makes to someone's account — roles and disciplines, disabled or enabled, a
new password. The same rules as creating a staff account (users.create_staff_user), and one of
their own: an operator never locks themself out (disables their own account or drops their own
admin role), so the console always keeps someone who can undo a mistake."""

from __future__ import annotations

from collections.abc import Iterable

import anyio
from sqlalchemy import String, cast, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.accounts import passwords
from content.accounts.users import _clean_roles, has_role
from content.errors import Conflict, Forbidden, Invalid, NotFound
from content.kit import check_disciplines, page_by_id
from content.models import Role, User
from infra.security import hash_password

STAFF_ROLES = (Role.political_reviewer, Role.science_reviewer, Role.admin)
_MAX_QUERY = 64


async def list_users(
    session: AsyncSession,
    *,
    query: str = "",
    roles: Iterable[str] = (),
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[User], str | None]:
    """Users newest first, one query: those whose username or display name contains ``query``
    (any case), holding any of ``roles`` (none: everyone); the cursor of the next page."""
    wanted = _clean_roles(roles)
    text = query.strip()
    if len(text) > _MAX_QUERY or "\x00" in text:
        raise Invalid(f"q: at most {_MAX_QUERY} characters", field="q")
    statement = select(User)
    if text:
        statement = statement.where(
            or_(
                col(User.username).icontains(text, autoescape=True),
                col(User.display_name).icontains(text, autoescape=True),
            )
        )
    if wanted:
        # A JSON list on both SQLite and PostgreSQL; a role's quoted name appears in no other.
        as_text = cast(User.roles, String)
        statement = statement.where(or_(*(as_text.contains(f'"{r.value}"') for r in wanted)))
    return await page_by_id(
        session, statement, col(User.id), cursor, limit, key=lambda u: u.id, newest_first=True
    )


async def get_user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id) if len(user_id) <= 26 else None
    if user is None:
        raise NotFound(f"no user {user_id!r}")
    return user


async def _lock(session: AsyncSession, actor: User, user_id: str) -> User:
    """The account ``user_id``, and the operator's own, locked until the commit (in the order of
    their ids, so two operators changing each other wait for one another instead of
    deadlocking); the operator, read afresh, must still be an active admin — of two operators
    taking away each other's admin role at the same moment, the second finds they no longer may."""
    if len(user_id) > 26:
        raise NotFound(f"no user {user_id!r}")
    rows = await session.exec(
        select(User)
        .where(col(User.id).in_({actor.id, user_id}))
        .order_by(col(User.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = {u.id: u for u in rows.all()}
    me = found.get(actor.id)
    if me is None or not me.is_active or not has_role(me, Role.admin):
        raise Forbidden("only an active admin manages accounts", code="auth.missing_role")
    if user_id not in found:
        raise NotFound(f"no user {user_id!r}")
    return found[user_id]


def _lockout(message: str) -> Forbidden:
    return Forbidden(message, code="user.self_lockout")


async def set_roles(
    session: AsyncSession,
    actor: User,
    user_id: str,
    roles: Iterable[str],
    disciplines: Iterable[str] = (),
) -> User:
    """Give ``user_id`` exactly ``roles`` (the closed set ``Role``) and ``disciplines`` (each on
    the list): the checks of create_staff_user, and an operator keeps their own admin role."""
    role_list = _clean_roles(roles)
    discipline_list = list(disciplines)
    if Role.science_reviewer in role_list and not any(d.strip() for d in discipline_list):
        raise Invalid("a science reviewer needs at least one discipline", field="disciplines")
    user = await _lock(session, actor, user_id)
    if user.id == actor.id and Role.admin not in role_list:
        raise _lockout("you cannot take away your own admin role; ask another admin")
    checked = await check_disciplines(session, discipline_list, "disciplines")
    user.roles = role_list
    user.disciplines = checked
    session.add(user)
    await session.flush()
    return user


async def set_active(session: AsyncSession, actor: User, user_id: str, active: bool) -> User:
    """Enable or disable ``user_id``. A disabled account logs in nowhere, and whatever it holds
    stops working on its next request: API tokens (accounts.get_active_user) and console sessions
    read ``is_active`` every time. Asking for the state it is in changes nothing."""
    user = await _lock(session, actor, user_id)
    if user.id == actor.id and not active:
        raise _lockout("you cannot disable your own account; ask another admin")
    if user.is_active != active:
        user.is_active = active
        session.add(user)
        await session.flush()
    return user


async def reset_password(session: AsyncSession, actor: User, user_id: str, password: str) -> User:
    """Give ``user_id`` the password ``password`` (the policy of their roles, as when created):
    it works at the next login, the old one no longer does."""
    user = await _lock(session, actor, user_id)
    if not user.username:
        raise Conflict(
            "this account logs in with WeChat only; it has no password to reset",
            code="user.no_password",
        )
    await passwords.check_password(
        password, roles=list(user.roles), personal=[user.username, user.display_name]
    )
    user.password_hash = await anyio.to_thread.run_sync(hash_password, password)
    session.add(user)
    await session.flush()
    return user
