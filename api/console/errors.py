"""Errors on console pages: the API's own handlers decide the status and the Chinese message (one
mapping of domain errors, not two); the console shows that message on a page — after a form, on
the page the form was on — instead of a problem document."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from api.console import pages
from api.console.auth import (
    SAFE_METHODS,
    CsrfRejected,
    LoginRequired,
    clear_cookie,
    same_origin,
    store,
)
from api.console.sessions import COOKIE

PREFIX = "/console"
Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def _message(body: dict[str, Any], own: str | None = None) -> str:
    text = str(body.get("detail") or body.get("title") or "出错了")
    fields = [f"{e['field']}：{e['message']}" for e in body.get("errors") or [] if "field" in e]
    if fields and body.get("code") == "validation_error":
        text += "（" + "；".join(fields) + "）"
    elif own and body.get("status") == 422:
        # A rule's own words say which rule the input broke (a claim pattern's syntax, a length).
        text += f"。详情：{own}"
    if body.get("request_id") and int(body.get("status", 500)) >= 500:
        text += f"（请求编号 {body['request_id']}）"
    return text


def back_to(request: Request, fallback: str = PREFIX) -> str:
    """Where a form came from, when that is a console page of this site; else ``fallback``."""
    referer = request.headers.get("referer")
    if referer and same_origin(request, referer):
        parts = urlsplit(referer)
        if parts.path.startswith(PREFIX):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return fallback


# Never kept for the next page: secrets and the form's own tokens.
_NOT_KEPT = ("csrf_token", "login_token", "once")


async def _keep_input(request: Request) -> bool:
    """Keep a refused form's fields (not passwords, not files) for the page it goes back to,
    so nobody types a long comment twice. Whether anything was kept."""
    token = request.cookies.get(COOKIE)
    console = getattr(request.state, "console", None)
    if not token or console is None:
        return False
    try:
        form = await request.form()
    except Exception:  # the body itself was the problem (unreadable, too large): nothing to keep
        return False
    fields: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str) and name not in _NOT_KEPT and "password" not in name:
            fields.setdefault(name, []).append(value)
    if not fields:
        return False
    await store(request.app.state.services).keep(token, fields)
    return True


def show_error(
    request: Request, status: int, text: str, code: str = "error", kept: bool = False
) -> Response:
    """After a form: back where it was, the message on top (and, ``kept``, what was typed).
    Otherwise: an error page. Either way ``X-Console-Error`` says what the API would have
    answered (status and problem code)."""
    if request.method not in SAFE_METHODS and status < 500:
        response: Response = RedirectResponse(back_to(request), status_code=303)
        pages.flash(response, text, kept=kept)
    else:
        response = pages.render(request, "error.html", status_code=status, status=status, text=text)
    response.headers["X-Console-Error"] = f"{status} {code}"
    return response


def too_large(request: Request, limit: int) -> Response:
    """A form's body over the app's limit (an import file too big), refused before any handler
    ran: said on the page the form came from."""
    return show_error(
        request,
        413,
        f"提交的内容太大：上限 {limit / 1024 / 1024:.0f} MiB，请拆成几个文件分别上传",
        "request.too_large",
    )


def _is_json(media_type: str | None) -> bool:
    # Problems are application/problem+json; the framework's own errors application/json.
    return media_type in ("application/json", "application/problem+json")


def _for_console(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Any) -> Response:
        answer = handler(request, exc)
        response = await answer if inspect.isawaitable(answer) else answer
        if not request.url.path.startswith(PREFIX + "/") and request.url.path != PREFIX:
            return response
        body = json.loads(bytes(response.body)) if _is_json(response.media_type) else {}
        code = str(body.get("code", "error"))
        own = getattr(response, "english", {}).get("detail")
        kept = request.method not in SAFE_METHODS and await _keep_input(request)
        return show_error(request, response.status_code, _message(body, own), code, kept)

    return handle


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in SAFE_METHODS:
        wanted = back_to(request)
    target = f"{PREFIX}/login?" + urlencode({"next": wanted})
    if request.headers.get("hx-request"):  # htmx: the whole page goes, not a fragment
        response: Response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    if exc.expired:
        pages.flash(response, "登录已过期，请重新登录", "note")
        clear_cookie(response)
    return response


async def _csrf_rejected(request: Request, exc: Exception) -> Response:
    response = pages.render(
        request,
        "error.html",
        status_code=403,
        status=403,
        text="这个表单已失效（页面打开太久或来自别的网站），操作没有执行。请刷新页面后重试。",
    )
    response.headers["X-Console-Error"] = "403 csrf"
    return response


def install(app: FastAPI) -> None:
    for kind, handler in list(app.exception_handlers.items()):
        app.exception_handlers[kind] = _for_console(handler)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
