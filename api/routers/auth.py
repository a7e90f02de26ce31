"""Login: staff with a password, mini-program users through WeChat."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ServicesDep, SessionDep, SettingsDep
from api.schemas import TokenOut, UserOut, WechatLoginIn, WechatTokenOut
from content import accounts
from content.models import User
from infra.security import issue_token
from infra.settings import Settings

router = APIRouter(tags=["auth"])


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


@router.post("/auth/token", response_model=TokenOut)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    user = await accounts.authenticate(session, form.username, form.password)
    return _token(settings, user)


@router.post("/auth/wechat", response_model=WechatTokenOut)
async def wechat_login(
    body: WechatLoginIn, session: SessionDep, services: ServicesDep
) -> WechatTokenOut:
    user, created = await accounts.wechat_login(
        session, services.http, services.settings, body.code
    )
    token = _token(services.settings, user)
    return WechatTokenOut(**token.model_dump(), user=user_out(user), created=created)
