"""Who is using the console: the session cookie's user, checked on every request (a disabled
account or a lost role ends the session at once), the CSRF token every unsafe request must carry,
and the role a page needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from api.console import pages
from api.console.sessions import COOKIE, PATH, ConsoleSession, SessionStore
from api.deps import ServicesDep, SessionDep
from content import review
from content.accounts import has_role
from content.errors import Forbidden
from content.models import Role, User
from infra.services import Services

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
STAFF_ROLES = (Role.political_reviewer, Role.science_reviewer, Role.admin)


@dataclass(frozen=True)
class StaffView:
    """Who is signed in, as pages show it: a copy, readable after the request's session closed
    (an error page renders after the rollback)."""

    id: str
    display_name: str
    roles: tuple[str, ...]


class LoginRequired(Exception):
    """No live session: the browser goes to the login page, and back here afterwards."""

    def __init__(self, expired: bool) -> None:
        self.expired = expired


class CsrfRejected(Exception):
    """An unsafe request without this session's token, or from another site: nothing is done."""


def store(services: Services) -> SessionStore:
    return SessionStore(
        services.redis, services.settings.redis_prefix, services.settings.console_idle_seconds
    )


def set_cookie(response: Response, session: ConsoleSession) -> None:
    response.set_cookie(
        COOKIE, session.token, path=PATH, secure=True, httponly=True, samesite="strict"
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, secure=True, httponly=True, samesite="strict")


def is_staff(user: User) -> bool:
    return user.is_active and has_role(user, *STAFF_ROLES)


def same_origin(request: Request, url: str | None) -> bool:
    """Whether ``url`` (an Origin or Referer) is this console's own site."""
    if not url:
        return False
    parts = urlsplit(url)
    return parts.netloc == request.url.netloc and parts.scheme in ("http", "https")


async def _check_csrf(request: Request, session: ConsoleSession) -> None:
    origin = request.headers.get("origin")
    if origin is not None and not same_origin(request, origin):
        raise CsrfRejected
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not session.csrf_matches(sent):
        raise CsrfRejected


async def get_staff(request: Request, session: SessionDep, services: ServicesDep) -> User:
    token = request.cookies.get(COOKIE)
    sessions = store(services)
    console = await sessions.find(token)
    if console is None:
        raise LoginRequired(expired=token is not None)
    user = await session.get(User, console.user_id)
    if user is None or not is_staff(user):
        await sessions.close(token)
        raise LoginRequired(expired=True)
    request.state.console = console
    request.state.staff = StaffView(user.id, user.display_name, tuple(user.roles))
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, console)
    elif pages.input_kept(request):
        request.state.kept = pages.Kept(await sessions.take_kept(console.token))
    return user


Staff = Annotated[User, Depends(get_staff)]


async def get_reviewer(user: Staff) -> User:
    if not review.stages_of(user):
        raise Forbidden("this page is for reviewers", code="auth.missing_role")
    return user


async def get_operator(user: Staff) -> User:
    if not has_role(user, Role.admin):
        raise Forbidden("this page is for operators (admins)", code="auth.missing_role")
    return user


Reviewer = Annotated[User, Depends(get_reviewer)]
Operator = Annotated[User, Depends(get_operator)]
