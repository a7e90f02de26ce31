"""Users: staff accounts with passwords, mini-program viewers from WeChat, roles and disciplines."""

from __future__ import annotations

import re
from collections.abc import Iterable

import anyio
import httpx
import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select
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
from content.kit import check_disciplines, clean_text
from content.models import Role, User
from infra import wechat
from infra.security import hash_password, verify_password
from infra.settings import Settings

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
# A few of the disciplines operators manage (GET /disciplines lists them all), for help texts.
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
        disciplines=await check_disciplines(session, disciplines, "disciplines"),
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


async def get_or_create_wechat_user(
    session: AsyncSession, openid: str, unionid: str | None = None
) -> tuple[User, bool]:
    """The account a WeChat openid logs into, created on first login (viewer and creator roles);
    ``unionid``, when WeChat sent one, is kept on it."""
    user = (await session.exec(select(User).where(User.wechat_openid == openid))).first()
    if user is not None:
        await _keep_unionid(session, user, unionid)
        return user, False
    user = User(
        wechat_openid=openid,
        wechat_unionid=unionid,
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


async def _keep_unionid(session: AsyncSession, user: User, unionid: str | None) -> None:
    """Record a unionid WeChat sends for an account that has none yet. One held by another
    account is left there: a login never moves an identity."""
    if not unionid or user.wechat_unionid == unionid:
        return
    try:
        async with session.begin_nested():
            user.wechat_unionid = unionid
            session.add(user)
            await session.flush()
    except IntegrityError:
        await session.refresh(user)


async def _exchange(
    http: httpx.AsyncClient, redis: aioredis.Redis, settings: Settings, address: str, code: str
) -> wechat.WechatSession:
    """Who a ``wx.login`` code belongs to, asked of WeChat within the login limits."""
    await throttle.admit_wechat(redis, settings, address)
    try:
        return await wechat.jscode2session(http, settings, code)
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


async def wechat_login(
    session: AsyncSession,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    settings: Settings,
    address: str,
    code: str,
) -> tuple[User, bool]:
    """Exchange a mini-program login code with WeChat and return (user, created)."""
    ws = await _exchange(http, redis, settings, address, code)
    return await get_or_create_wechat_user(session, ws.openid, ws.unionid)


def _bound_elsewhere() -> Conflict:
    return Conflict(
        "this WeChat account already logs into another Kepu account; log in with WeChat and "
        "use that one, or ask an operator",
        code="wechat.bound_elsewhere",
    )


async def bind_wechat(
    session: AsyncSession,
    http: httpx.AsyncClient,
    redis: aioredis.Redis,
    settings: Settings,
    address: str,
    user: User,
    code: str,
) -> User:
    """Make the WeChat login behind ``code`` log into ``user`` from now on. Binding the identity
    the account already has changes nothing; an account bound to another WeChat identity must
    unbind it first (409 ``wechat.already_bound``: a bind never silently replaces the way
    someone logs in), and an identity another account holds stays there (409
    ``wechat.bound_elsewhere``). A code WeChat rejects is 422 ``wechat.code_invalid``."""
    try:
        ws = await _exchange(http, redis, settings, address, code)
    except Unauthenticated as exc:
        # The caller's token is fine: a 401 here would make a client log them out.
        raise Invalid(exc.message, field="code", code="wechat.code_invalid") from exc
    if user.wechat_openid == ws.openid:
        await _keep_unionid(session, user, ws.unionid)
        return user
    if user.wechat_openid is not None:
        raise Conflict(
            "this account is bound to another WeChat account; unbind it first (DELETE /me/wechat)",
            code="wechat.already_bound",
        )
    taken = col(User.wechat_openid) == ws.openid
    if ws.unionid:
        taken = or_(taken, col(User.wechat_unionid) == ws.unionid)
    if (await session.exec(select(User.id).where(taken))).first() is not None:
        raise _bound_elsewhere()
    # A conditional write: two binds of one account racing cannot both win, and the unique
    # constraints settle a race for one identity.
    try:
        async with session.begin_nested():
            bound = await session.exec(
                sa.update(User)
                .where(col(User.id) == user.id, col(User.wechat_openid).is_(None))
                .values(wechat_openid=ws.openid, wechat_unionid=ws.unionid)
            )
    except IntegrityError as exc:
        raise _bound_elsewhere() from exc
    if bound.rowcount != 1:
        raise Conflict(
            "this account was just bound to a WeChat account", code="wechat.already_bound"
        )
    await session.refresh(user)
    return user


async def unbind_wechat(session: AsyncSession, user: User) -> User:
    """Forget the account's WeChat login; only an account that can still log in with its
    password may (409 ``wechat.only_login`` otherwise). Unbinding an unbound account changes
    nothing."""
    if user.wechat_openid is None and user.wechat_unionid is None:
        return user
    if not user.password_hash:
        raise Conflict(
            "WeChat is this account's only way to log in; it cannot be unbound",
            code="wechat.only_login",
        )
    user.wechat_openid = None
    user.wechat_unionid = None
    session.add(user)
    await session.flush()
    return user
