"""Rendering console pages: the Jinja2 environment (autoescaped: what users wrote is text, never
markup), asset URLs that change with their content, times in China's time, one-shot messages."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import names

HERE = Path(__file__).parent
STATIC = HERE / "static"
FLASH_COOKIE = "kepu_console_flash"
# Scripts and styles only from the console's own files (no inline script can run, whatever a
# comment smuggles in); media from storage, wherever that is (local route, S3, a CDN).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: "
    "http:; media-src 'self' blob: https: http:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# China keeps one offset all year: no time zone database needed.
CHINA = timezone(timedelta(hours=8), "CST")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def static_url(name: str) -> str:
    """``/console/static/<name>?v=<hash>``: served as immutable, the URL changing with the file."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/console/static/{name}?v={digest}"


def local_time(at: datetime | None, with_date: bool = True) -> str:
    if at is None:
        return "—"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def duration(value: timedelta | float | None) -> str:
    """A waiting time as a reviewer reads it: 45 秒, 12 分, 3 小时 5 分, 2 天 4 小时."""
    if value is None:
        return "—"
    s = int(value.total_seconds() if isinstance(value, timedelta) else value)
    if s < 60:
        return f"{max(s, 0)} 秒"
    m, h, d = s // 60, s // 3600, s // 86400
    if s < 3600:
        return f"{m} 分"
    if s < 86400:
        return f"{h} 小时 {m % 60} 分" if m % 60 else f"{h} 小时"
    return f"{d} 天 {h % 24} 小时" if h % 24 else f"{d} 天"


def clock(seconds: float | None) -> str:
    """A moment of a video as its player shows it: m:ss (seconds rounded down)."""
    s = max(int(seconds or 0), 0)
    return f"{s // 60}:{s % 60:02d}"


_env.globals["static"] = static_url
_env.globals["names"] = names
_env.filters["when"] = local_time
_env.filters["duration"] = duration
_env.filters["clock"] = clock
_env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)


class Kept:
    """What the user typed into a form the server refused, to fill the form again with:
    ``kept.get("comment")``, ``kept.getlist("roles")`` in templates. Empty on other pages."""

    def __init__(self, fields: dict[str, list[str]] | None = None) -> None:
        self.fields = fields or {}

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def __bool__(self) -> bool:
        return bool(self.fields)


def flash(response: Response, text: str, kind: str = "error", kept: bool = False) -> None:
    """A message shown once, on the next page this browser opens (after a redirect); ``kept``:
    the form's input waits in the session store for that page."""
    note = {"kind": kind, "text": text[:500], **({"kept": True} if kept else {})}
    body = quote(json.dumps(note, ensure_ascii=False))
    response.set_cookie(
        FLASH_COOKIE,
        body,
        max_age=60,
        path="/console",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def redirect(to: str, text: str | None = None, kind: str = "ok") -> Response:
    """303 to ``to`` (after a form: Post/Redirect/Get), with ``text`` shown there once."""
    response = RedirectResponse(to, status_code=303)
    if text:
        flash(response, text, kind)
    return response


def _flash_note(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        note = json.loads(unquote(raw))
        return note if isinstance(note, dict) else None
    except ValueError:
        return None


def input_kept(request: Request) -> bool:
    """Whether the previous request left a refused form's input for this page."""
    note = _flash_note(request)
    return bool(note and note.get("kept"))


def _taken_flash(request: Request) -> dict[str, str] | None:
    note = _flash_note(request)
    if not note or "kind" not in note or "text" not in note:
        return None
    return {"kind": str(note["kind"]), "text": str(note["text"])}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` with ``context``, the signed-in user and their CSRF token (``request.state``,
    set by the console's dependencies), and a message left by the previous request."""
    message = context.pop("message", None) or _taken_flash(request)
    page = _env.get_template(template).render(
        request=request,
        user=getattr(request.state, "staff", None),
        csrf=getattr(getattr(request.state, "console", None), "csrf", ""),
        message=message,
        kept=getattr(request.state, "kept", None) or Kept(),
        **context,
    )
    response = HTMLResponse(
        page,
        status_code=status_code,
        headers={"Content-Security-Policy": POLICY, "X-Frame-Options": "DENY"},
    )
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/console", secure=True, httponly=True)
    return response
