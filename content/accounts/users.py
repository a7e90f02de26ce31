"""Users: staff accounts with passwords, mini-program viewers from WeChat, roles and disciplines."""

from __future__ import annotations

import re
from collections.abc import Iterable

import anyio
import httpx
import redis.asyncio as aioredis
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.accounts import passwords, throttle
from content.errors import (
    Conflict,
    Forbidden,
    Invalid,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from content.kit import clean_text
from content.models import Role, User
from infra import wechat
from infra.security import hash_password, verify_password
from infra.settings import Settings

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
_DISCIPLINE = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
# Disciplines are open (any slug); these are the ones to follow when naming a new one.
DISCIPLINE_EXAMPLES = ("medicine", "physics", "ecology")


def has_role(user: User, *roles: Role) -> bool:
    return any(r in user.roles for r in roles)


def require_role(user: User, *roles: Role) -> None:
    if not has_role(user, *roles):
        raise Forbidden(
            "this needs one of the roles: " + ", ".join(roles), code="auth.missing_role"
        )


def _clean_roles(roles: Iterable[str]) -> list[Role]:
    """The roles asked for, as members; raw strings come from the admin API and the CLI."""
    unique = list(dict.fromkeys(roles))
    known = {role.value: role for role in Role}
    unknown = [r for r in unique if r not in known]
    if unknown:
        raise Invalid(
            f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}",
            field="roles",
        )
    return [known[r] for r in unique]


def _clean_disciplines(disciplines: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(d.strip().lower() for d in disciplines))
    bad = [d for d in unique if not is_discipline(d)]
    if bad:
        raise Invalid(
            f"discipline slugs are lowercase letters, digits and '-': {', '.join(bad)}",
            field="disciplines",
        )
    return unique


def is_discipline(slug: str) -> bool:
    """A discipline names both a science reviewer's field and the field a content belongs to."""
    return _DISCIPLINE.match(slug) is not None


async def create_staff_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    display_name: str | None,
    roles: Iterable[str],
    disciplines: Iterable[str] = (),
) -> User:
    if not _USERNAME.match(username):
        raise Invalid("username: 3–64 letters, digits, '_', '.' or '-'", field="username")
    role_list = _clean_roles(roles)
    if Role.science_reviewer in role_list and not disciplines:
        raise Invalid("a science reviewer needs at least one discipline", field="disciplines")
    name = clean_text(display_name or username, "display_name", 64, required=True)
    await passwords.check_password(password, roles=role_list, personal=[username, name])
    existing = await session.exec(select(User.id).where(User.username == username))
    if existing.first() is not None:
        raise Conflict(f"the username {username!r} is taken", code="user.exists")
    user = User(
        username=username,
        password_hash=await anyio.to_thread.run_sync(hash_password, password),
        display_name=name,
        roles=role_list,
        disciplines=_clean_disciplines(disciplines),
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same username
        raise Conflict(f"the username {username!r} is taken", code="user.exists") from exc
    return user


async def authenticate(session: AsyncSession, username: str, password: str) -> User:
    user = (await session.exec(select(User).where(User.username == username))).first()
    ok = await anyio.to_thread.run_sync(
        verify_password, password, user.password_hash if user else None
    )
    if user is None or not ok or not user.is_active:
        raise Unauthenticated("wrong username or password", code="auth.invalid_credentials")
    return user


async def password_login(
    session: AsyncSession,
    redis: aioredis.Redis,
    settings: Settings,
    address: str,
    username: str,
    password: str,
) -> User:
    """A staff login from ``address``, within the login limits (throttle.py)."""
    attempt = await throttle.admit_password(redis, settings, address, username)
    user = await authenticate(session, username, password)
    await throttle.login_succeeded(redis, attempt)
    return user


async def get_active_user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("the account behind this token no longer exists; log in again")
    return user


async def get_or_create_wechat_user(session: AsyncSession, openid: str) -> tuple[User, bool]:
    """The viewer for a WeChat openid, created on first login (viewer and creator roles)."""
    user = (await session.exec(select(User).where(User.wechat_openid == openid))).first()
    if user is not None:
        return user, False
    user = User(
        wechat_openid=openid,
        display_name="微信用户" + openid[-4:],
        roles=[Role.viewer, Role.creator],
    )
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:  # the same code raced in twice: the other insert won
        user = (await session.exec(select(User).where(User.wechat_openid == openid))).one()
        return user, False
    return user, True


async def wechat_login(
    session: AsyncSession,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    settings: Settings,
    address: str,
    code: str,
) -> tuple[User, bool]:
    """Exchange a mini-program login code with WeChat and return (user, created)."""
    await throttle.admit_wechat(redis, settings, address)
    try:
        ws = await wechat.jscode2session(http, settings, code)
    except wechat.WechatCodeInvalid as exc:
        raise Unauthenticated(
            f"WeChat rejected the login code ({exc}); call wx.login again for a fresh one",
            code="auth.wechat_code_invalid",
        ) from exc
    except wechat.WechatRateLimited as exc:
        raise RateLimited(
            "WeChat is rate limiting logins; try again shortly",
            code="auth.wechat_rate_limited",
            retry_after=10,
        ) from exc
    except wechat.WechatNotConfigured as exc:
        # Not an outage: no Retry-After, as trying again changes nothing until it is set up.
        raise Unavailable(str(exc), code="auth.wechat_not_configured", retry_after=None) from exc
    except wechat.WechatUnavailable as exc:
        raise Unavailable(
            f"WeChat login is unavailable: {exc}", code="auth.wechat_unavailable", retry_after=5
        ) from exc
    return await get_or_create_wechat_user(session, ws.openid)
