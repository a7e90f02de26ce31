"""Login: staff with a password, mini-program users through WeChat."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ServicesDep, SessionDep
from api.schemas import TokenOut, UserOut, WechatLoginIn, WechatTokenOut
from content import accounts
from content.errors import RateLimited
from content.models import User
from infra.ratelimit import over_limit
from infra.security import issue_token
from infra.services import Services
from infra.settings import Settings

router = APIRouter(tags=["auth"])
LOGIN_WINDOW_S = 60


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        display_name=user.display_name,
        roles=user.roles,
        disciplines=user.disciplines,
        username=user.username,
    )


def _token(settings: Settings, user: User) -> TokenOut:
    return TokenOut(
        access_token=issue_token(user.id, settings.resolved_jwt_secret(), settings.jwt_ttl_seconds),
        expires_in=settings.jwt_ttl_seconds,
    )


async def _limit(services: Services, request: Request, what: str, limit: int) -> None:
    client = request.client.host if request.client else "unknown"
    key = f"{services.settings.redis_prefix}:rl:{what}:{client}"
    wait = await over_limit(services.redis, key, limit, LOGIN_WINDOW_S)
    if wait is not None:
        raise RateLimited(
            f"too many attempts; try again in {wait} s", code="auth.rate_limited", retry_after=wait
        )


@router.post("/auth/token", response_model=TokenOut)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    services: ServicesDep,
) -> TokenOut:
    # Per address and username, so guessing one account's password is slow and one noisy
    # office behind a NAT does not lock out everyone else.
    await _limit(
        services, request, f"login:{form.username[:64]}", services.settings.login_per_minute
    )
    user = await accounts.authenticate(session, form.username, form.password)
    return _token(services.settings, user)


@router.post("/auth/wechat", response_model=WechatTokenOut)
async def wechat_login(
    body: WechatLoginIn, request: Request, session: SessionDep, services: ServicesDep
) -> WechatTokenOut:
    await _limit(services, request, "wechat", services.settings.wechat_login_per_minute)
    user, created = await accounts.wechat_login(
        session, services.http, services.settings, body.code
    )
    token = _token(services.settings, user)
    return WechatTokenOut(**token.model_dump(), user=user_out(user), created=created)
