"""Logging in and out, and the start page each kind of staff lands on."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.console import pages
from api.console.auth import Staff, clear_cookie, is_staff, set_cookie, store
from api.console.sessions import COOKIE
from api.deps import ClientAddress, ServicesDep, SessionDep
from api.problems import in_chinese
from content import accounts, review
from content.errors import DomainError
from content.models import User

router = APIRouter()
LOGIN_COOKIE = "kepu_console_login"  # double-submit token of the login form (no session yet)


def safe_next(value: str | None) -> str | None:
    """A page of this console to return to; anything else (another site, ``//host``) is none."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console"):
        return None
    if value.startswith("//") or "\\" in value or parts.path.startswith("/console/login"):
        return None
    return value


def home_of(user: User) -> str:
    if review.stages_of(user):
        return "/console/review"
    return "/console/contents"


def _login_page(request: Request, status: int = 200, **context: object) -> Response:
    token = secrets.token_urlsafe(24)
    response = pages.render(
        request,
        "login.html",
        status_code=status,
        login_token=token,
        next=safe_next(request.query_params.get("next")) or "",
        **context,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/console/login",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    address: ClientAddress,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    login_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    sent = request.cookies.get(LOGIN_COOKIE)
    if not sent or not secrets.compare_digest(sent, login_token):
        return _login_page(
            request,
            403,
            username=username,
            message={"kind": "error", "text": "登录表单已失效，请重新输入"},
        )
    try:
        user = await accounts.password_login(
            session, services.redis, services.settings, address, username, password
        )
    except DomainError as exc:
        return _login_page(
            request, 401, username=username, message={"kind": "error", "text": in_chinese(exc)}
        )
    if not is_staff(user):
        return _login_page(
            request,
            403,
            username=username,
            message={"kind": "error", "text": "控制台仅供审核员和运营人员使用"},
        )
    console = await store(services).open(user.id)
    response = RedirectResponse(safe_next(next) or home_of(user), status_code=303)
    set_cookie(response, console)
    response.delete_cookie(LOGIN_COOKIE, path="/console/login", secure=True, httponly=True)
    return response


@router.post("/logout")
async def logout(request: Request, user: Staff, services: ServicesDep) -> Response:
    await store(services).close(request.cookies.get(COOKIE))
    response = pages.redirect("/console/login", "已退出登录", "note")
    clear_cookie(response)
    return response


@router.get("/")
async def home(user: Staff) -> Response:
    return RedirectResponse(home_of(user), status_code=303)
