"""Login: staff with a password, mini-program users through WeChat."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api import presenters, problems
from api.deps import ClientAddress, ServicesDep, SessionDep
from api.replica import wrote_as
from api.schemas import TokenOut, WechatLoginIn, WechatTokenOut
from content import accounts
from content.models import User
from infra.security import issue_token
from infra.settings import Settings

router = APIRouter(tags=["auth"])


def _token(settings: Settings, user: User) -> TokenOut:
    return TokenOut(
        access_token=issue_token(user.id, settings.resolved_jwt_secret(), settings.jwt_ttl_seconds),
        expires_in=settings.jwt_ttl_seconds,
    )


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=problems.responses(
        401,
        413,
        422,
        429,
        codes=["auth.invalid_credentials", "auth.rate_limited", "auth.address_locked"],
    ),
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    address: ClientAddress,
    session: SessionDep,
    services: ServicesDep,
) -> TokenOut:
    user = await accounts.password_login(
        session, services.redis, services.settings, address, form.username, form.password
    )
    return _token(services.settings, user)


@router.post(
    "/auth/wechat",
    response_model=WechatTokenOut,
    responses=problems.responses(
        401,
        413,
        422,
        429,
        503,
        codes=[
            "auth.wechat_code_invalid",
            "auth.rate_limited",
            "auth.address_locked",
            "auth.wechat_rate_limited",
            "auth.wechat_unavailable",
            "auth.wechat_not_configured",
        ],
    ),
)
async def wechat_login(
    request: Request,
    body: WechatLoginIn,
    address: ClientAddress,
    session: SessionDep,
    services: ServicesDep,
) -> WechatTokenOut:
    user, created = await accounts.wechat_login(
        session, services.http, services.redis, services.settings, address, body.code
    )
    # The account may be new: its first public reads must find it, on the replica too.
    wrote_as(request, user.id)
    token = _token(services.settings, user)
    user_body = await presenters.me_out(session, services, user)
    return WechatTokenOut(**token.model_dump(), user=user_body, created=created)
