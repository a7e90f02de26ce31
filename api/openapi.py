"""The OpenAPI document says what every route may answer on error: RFC 9457 problem details
(`application/problem+json`), so a client generated from it — and schemathesis in CI — knows the
401/403/404/409/413/422/429/503 answers, not only the happy path."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "stable, machine-readable"},
        "request_id": {"type": "string"},
        "field": {"type": "string", "description": "the offending field (422)"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "required": True,
        "schema": {"type": "string"},
    }
}
ERRORS: dict[int, str] = {
    400: "malformed request",
    401: "no token, or an invalid one",
    403: "authenticated but not allowed",
    404: "no such thing, or not yours to see",
    405: "method not allowed",
    409: "wrong state, claimed by someone else, or a stale revision",
    413: "too large",
    422: "invalid input; `field` names it",
    429: "rate limited",
    503: "a dependency is down",
}


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def document_problems(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so every operation lists the problem answers (replacing FastAPI's
    own 422 shape, which this API never sends)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        shared = components.setdefault("responses", {})
        for status in ERRORS:
            shared[f"Problem{status}"] = _problem_response(status)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status in ERRORS:
                    responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
