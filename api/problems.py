"""Every error becomes RFC 9457 problem details here, once for the whole app."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError as DBInterfaceError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from api import problem_codes
from api.schemas.common import utc_iso
from content.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    QuotaExceeded,
    RateLimited,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from infra.logging import request_id
from infra.storage import base as storage

log = logging.getLogger("kepu.api")
_CHARACTER_NOT_IN_REPERTOIRE = "22021"  # PostgreSQL's SQLSTATE for NUL in text
# SQLSTATEs of a server going away or not yet back: connection exceptions (class 08), and
# admin shutdown, crash shutdown, "the database system is starting up" (57P01–57P03).
_SERVER_GONE = ("08", "57P01", "57P02", "57P03")

STATUS: dict[type[DomainError], int] = {
    Invalid: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    QuotaExceeded: 413,
    RateLimited: 429,
    Unavailable: 503,
}
# Storage errors that reach a request (the local-disk storage route, mostly): status, code, and
# a fixed detail where the error's own text says more than a client should read.
_URL_EXPIRED = "this signed URL has expired; ask for a new one"
_NO_OBJECT = "no such upload or object"
_BAD_SIGNATURE = "this URL's signature does not match"
STORAGE: dict[type[storage.StorageError], tuple[int, str, str | None]] = {
    storage.SignatureExpired: (403, "storage.url_expired", _URL_EXPIRED),
    storage.SignatureInvalid: (403, "storage.signature_invalid", _BAD_SIGNATURE),
    storage.TooManyBytes: (413, "storage.too_large", "more bytes than this upload declared"),
    storage.WrongContentType: (415, "storage.wrong_type", None),
    storage.UploadNotFound: (404, "storage.not_found", _NO_OBJECT),
    storage.ObjectNotFound: (404, "storage.not_found", _NO_OBJECT),
    storage.InvalidKey: (400, "storage.bad_request", None),
    storage.InvalidParts: (400, "storage.bad_request", None),
    storage.InvalidRange: (400, "storage.bad_range", None),
    storage.InvalidForm: (400, "storage.form_invalid", None),
    storage.FormFileMissing: (400, "storage.form_file_missing", None),
    storage.FormExtraFile: (400, "storage.form_extra_file", None),
    storage.RangeNotSatisfiable: (416, "storage.range_not_satisfiable", None),
    storage.StorageUnavailable: (503, "storage.unavailable", "object storage is unreachable"),
}
TITLES = {status: en for status, (_zh, en) in problem_codes.TITLES.items()}
GENERIC_CODES = {
    400: "bad_request",
    401: "auth.required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


class FieldError(BaseModel):
    field: str = Field(description="the field as clients name it, e.g. references[0].url")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, the body of every error response."""

    model_config = ConfigDict(extra="allow")  # some problems say more (a finding, a limit)
    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(
        description="what went wrong, in words a user can act on: Chinese, or English when "
        "Accept-Language ranks it above Chinese"
    )
    code: str = Field(
        description="stable and machine-readable, e.g. content.not_found; one of ProblemCode"
    )
    request_id: str | None = None
    field: str | None = Field(default=None, description="422: the first offending field")
    errors: list[FieldError] | None = Field(default=None, description="422: every field")


PROBLEM_MEDIA_TYPE = "application/problem+json"
_SCHEMA_REF = "#/components/schemas/{model}"
CODE_SCHEMA = "ProblemCode"
_MEANINGS = {
    400: "The request is malformed",
    401: "No token, or one that is invalid or expired (`WWW-Authenticate: Bearer`)",
    403: "Authenticated, but not allowed to do this",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state (workflow state, a claim, a taken name)",
    413: "Too large (a request body, an upload, a quota)",
    415: "Unsupported media type",
    422: "Invalid input; `field` and `errors` name the offending fields",
    429: "Rate limited; retry after `Retry-After` seconds",
    503: "A dependency is down; retry after `Retry-After` seconds when it is sent",
}
_RETRY_AFTER = {"schema": {"type": "integer"}, "description": "seconds to wait"}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    429: {"Retry-After": _RETRY_AFTER},
    503: {"Retry-After": _RETRY_AFTER},
}
CODES_KEY = "x-codes"  # on each problem response: the codes a client may switch on


def responses(*items: int | str, codes: Iterable[str] = ()) -> dict[int | str, dict[str, Any]]:
    """The problem responses a route may give, for its OpenAPI ``responses=``: statuses
    (``401``) and problem codes (``"content.not_found"``, which bring their status), given as
    arguments or as ``codes=``. Each response lists its codes in its description and under
    ``x-codes``: the route's own plus those any route answering that status can give."""
    named = [i for i in items if isinstance(i, str)] + list(codes)
    if unknown := [c for c in named if c not in problem_codes.CODES]:
        raise ValueError(f"add {unknown} to api/problem_codes.py before declaring them")
    statuses = {i for i in items if isinstance(i, int)}
    statuses |= {problem_codes.CODES[c].status for c in named}
    schema = {"$ref": _SCHEMA_REF.format(model=ProblemDetails.__name__)}
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(statuses):
        answered = [*problem_codes.IMPLIED.get(status, ())]
        answered += [c for c in named if problem_codes.CODES[c].status == status]
        answered = list(dict.fromkeys(answered))
        description = _MEANINGS[status]
        if answered:
            description += ". Codes: " + ", ".join(f"`{c}`" for c in answered)
        out[status] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
            CODES_KEY: answered,
        }
        if status in _HEADERS:
            out[status]["headers"] = _HEADERS[status]
    return out


def _with_problem_schemas(app: FastAPI) -> None:
    """Put ProblemDetails in the OpenAPI components that ``responses()`` refers to, and every
    code as the ``ProblemCode`` enum (``code`` itself stays a string: a client built today must
    still read a code added tomorrow)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # also cached as app.openapi_schema: completed in place
        schema = ProblemDetails.model_json_schema(ref_template=_SCHEMA_REF)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(schema.pop("$defs", {}))
        components[ProblemDetails.__name__] = schema
        components[CODE_SCHEMA] = {
            "type": "string",
            "enum": sorted(problem_codes.CODES),
            "description": "every problem code the API answers (docs/api.md, Problem codes)",
        }
        # A body that cannot be read at all (not UTF-8, a broken form) is refused with 400 by
        # the framework before any route runs: every route that takes a body can answer it.
        for item in document.get("paths", {}).values():
            for operation in item.values():
                if "requestBody" in operation:
                    operation["responses"].setdefault("400", responses(400)[400])
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def prefers_english(accept_language: str) -> bool:
    """Chinese unless the caller ranks English above it (``Accept-Language: en-US,en;q=0.9``)."""
    best, best_q = "zh", 0.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        language = tag.strip().lower().split("-")[0]
        if language in ("zh", "en") and q > best_q:
            best, best_q = language, q
    return best == "en"


class ProblemResponse(JSONResponse):
    """A problem in Chinese and English; the one sent follows the request's Accept-Language,
    decided when it is sent (so middleware and probes that build problems need no request)."""

    # Starlette's JSONResponse already writes Chinese as-is (ensure_ascii=False).
    media_type = PROBLEM_MEDIA_TYPE

    def __init__(
        self,
        body: dict[str, Any],
        *,
        english: dict[str, Any],
        status_code: int,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(body, status_code=status_code, headers=headers)
        self.code: str = body["code"]
        self.english = english
        self.headers.add_vary_header("Accept-Language")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = dict(scope.get("headers") or ()).get(b"accept-language", b"")
        if prefers_english(header.decode("latin-1")):
            self.body = self.render(self.english)
            self.headers["content-length"] = str(len(self.body))
        await super().__call__(scope, receive, send)


def _in_chinese(code: str, status: int) -> str:
    known = problem_codes.CODES.get(code)
    # An unregistered code fails the registry tests; a response still says something.
    return known.zh if known else problem_codes.TITLES.get(status, ("出错了", ""))[0]


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    detail_zh: str | None = None,
    errors: list[tuple[str, str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    """The problem ``code``: ``detail`` is the English text, the Chinese one (the default) is
    ``detail_zh`` or the registry's; ``errors`` are (field, English, Chinese) messages."""
    titles = problem_codes.TITLES.get(status, ("出错了", "Error"))
    # Times in a problem are written like every other time in a response.
    rest = {k: utc_iso(v) if isinstance(v, datetime) else v for k, v in extra.items()}
    rest = {k: v for k, v in rest.items() if v is not None}
    rid = request_id.get()
    if rid:
        rest["request_id"] = rid
    bodies = []
    for language, (title, text) in enumerate(
        ((titles[0], detail_zh or _in_chinese(code, status)), (titles[1], detail))
    ):
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": text,
            "code": code,
            **rest,
        }
        if errors:
            body["errors"] = [{"field": f, "message": m[1 - language]} for f, *m in errors]
            body.setdefault("field", errors[0][0])
        bodies.append(body)
    return ProblemResponse(bodies[0], english=bodies[1], status_code=status, headers=headers)


def status_of(kind: type[DomainError]) -> int:
    """The status a domain error class is answered with."""
    for cls in kind.__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def in_chinese(exc: DomainError) -> str:
    """What a domain error says to a Chinese reader: its code's meaning, when to retry, which
    field (the console shows it on the page as the API writes it into the problem)."""
    zh = _in_chinese(exc.code, status_of(type(exc)))
    if isinstance(exc, RateLimited | Unavailable) and exc.retry_after is not None:
        zh += f"（{exc.retry_after} 秒后）"
    if isinstance(exc, Invalid) and exc.field:
        zh += f"（字段：{exc.field}）"
    return zh


async def _domain(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DomainError)
    status = status_of(type(exc))
    headers: dict[str, str] = {}
    zh = in_chinese(exc)
    if isinstance(exc, RateLimited | Unavailable) and exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    errors = None
    if isinstance(exc, Invalid) and exc.field:
        errors = [(exc.field, exc.message, zh)]
    return problem(
        status, exc.code, exc.message, detail_zh=zh, errors=errors, headers=headers, **exc.extra
    )


_SOURCES = ("body", "query", "path", "header", "cookie", "form")


def _field_name(error: dict[str, Any]) -> str:
    """The field as clients name it (``references[0].url``), the same as domain errors do."""
    loc = list(error["loc"])
    if error.get("type") == "json_invalid":
        return "body"  # the location of a JSON syntax error is a character offset, not a field
    if loc and loc[0] in _SOURCES:
        loc = loc[1:]  # only the source; a field may itself be called "body"
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


async def _validation(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        (_field_name(e), e["msg"], problem_codes.CHECKS_ZH.get(e.get("type", ""), "不符合要求"))
        for e in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(f for f, _en, _zh in errors))
    return problem(
        422,
        "validation_error",
        f"invalid input in: {fields}",
        detail_zh=f"以下字段输入有误：{fields}",
        errors=errors,
    )


async def _http(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    code = GENERIC_CODES.get(exc.status_code, "error")
    return problem(exc.status_code, code, detail, headers=headers)


async def _database(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DBAPIError)
    # Text PostgreSQL cannot store (NUL) is bad input wherever it came in — a path, a query,
    # a form, a JSON string — so it is a 422, not a 500. Any other database error stays a 500.
    if getattr(exc.orig, "sqlstate", None) == _CHARACTER_NOT_IN_REPERTOIRE:
        return problem(
            422,
            "invalid_text",
            "the input contains a character that cannot be stored (such as NUL); remove it",
        )
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if (
        exc.connection_invalidated
        or isinstance(exc, DBInterfaceError)
        or (sqlstate and sqlstate.startswith(_SERVER_GONE))
    ):
        # The database went away mid-request (restart, failover): the pool reconnects on the
        # next checkout (pre-ping); this request is refused, never half-done.
        return _dependency_down(exc)
    raise exc


def _dependency_down(exc: Exception) -> ProblemResponse:
    log.warning("a dependency is unreachable: %s: %s", type(exc).__name__, exc)
    return problem(
        503,
        "dependency.down",
        "a service Kepu depends on is unreachable right now; try again shortly",
        headers={"Retry-After": "5"},
    )


async def _unreachable(_request: Request, exc: Exception) -> ProblemResponse:
    # Refused or reset connections (the database not accepting connections while it restarts)
    # are an outage, not a bug: 503 with Retry-After; the log keeps the address.
    return _dependency_down(exc)


async def _storage(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, storage.StorageError)
    found = next((STORAGE[c] for c in type(exc).__mro__ if c in STORAGE), None)
    if found is None:  # a storage failure with no meaning for the client: ours to fix
        return await _unexpected(request, exc)
    status, code, detail = found
    headers: dict[str, str] = {}
    if isinstance(exc, storage.RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{exc.size}"
    if isinstance(exc, storage.StorageUnavailable):
        headers["Retry-After"] = "5"
    return problem(status, code, detail or str(exc), headers=headers)


async def _unexpected(_request: Request, exc: Exception) -> ProblemResponse:
    log.error("unhandled error", exc_info=exc)
    return problem(
        500,
        "internal_error",
        "something went wrong on our side; quote the request_id if you report it",
    )


def install(app: FastAPI) -> None:
    _with_problem_schemas(app)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(ConnectionError, _unreachable)
    app.add_exception_handler(storage.StorageError, _storage)
    app.add_exception_handler(Exception, _unexpected)
