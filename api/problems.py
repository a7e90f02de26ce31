"""Every error becomes RFC 9457 problem details here, once for the whole app."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError as DBInterfaceError
from starlette.exceptions import HTTPException as StarletteHTTPException

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
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    416: "Range not satisfiable",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
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
    detail: str = Field(description="what went wrong, in words a user can act on")
    code: str = Field(description="stable and machine-readable, e.g. content.not_found")
    request_id: str | None = None
    field: str | None = Field(default=None, description="422: the first offending field")
    errors: list[FieldError] | None = Field(default=None, description="422: every field")


PROBLEM_MEDIA_TYPE = "application/problem+json"
_SCHEMA_REF = "#/components/schemas/{model}"
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
    503: "A dependency is down; retry after `Retry-After` seconds",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}},
    503: {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}},
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses a route may give, for its OpenAPI ``responses=``."""
    schema = {"$ref": _SCHEMA_REF.format(model=ProblemDetails.__name__)}
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {
            "description": _MEANINGS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        if status in _HEADERS:
            out[status]["headers"] = _HEADERS[status]
    return out


def _with_problem_schemas(app: FastAPI) -> None:
    """Put ProblemDetails in the OpenAPI components that ``responses()`` refers to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # also cached as app.openapi_schema: completed in place
        schema = ProblemDetails.model_json_schema(ref_template=_SCHEMA_REF)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(schema.pop("$defs", {}))
        components[ProblemDetails.__name__] = schema
        # A body that cannot be read at all (not UTF-8, a broken form) is refused with 400 by
        # the framework before any route runs: every route that takes a body can answer it.
        for item in document.get("paths", {}).values():
            for operation in item.values():
                if "requestBody" in operation:
                    operation["responses"].setdefault("400", responses(400)[400])
        return document

    app.openapi = openapi  # type: ignore[method-assign]


class ProblemResponse(JSONResponse):
    # Starlette's JSONResponse already writes Chinese as-is (ensure_ascii=False).
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    rid = request_id.get()
    if rid:
        body["request_id"] = rid
    body.update({k: v for k, v in extra.items() if v is not None})
    return ProblemResponse(body, status_code=status, headers=headers)


def _status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def _domain(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DomainError)
    status = _status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | Unavailable) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    extra: dict[str, Any] = dict(exc.extra)
    if isinstance(exc, Invalid) and exc.field:
        extra["errors"] = [{"field": exc.field, "message": exc.message}]
        extra["field"] = exc.field
    return problem(status, exc.code, exc.message, headers=headers, **extra)


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
    errors = [{"field": _field_name(e), "message": e["msg"]} for e in exc.errors()]
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return problem(
        422,
        "validation_error",
        f"invalid input in: {fields}",
        errors=errors,
        field=errors[0]["field"] if errors else None,
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
