"""The OpenAPI document tells clients every error a route can answer with, as problem details:
a client generated from it knows the 401s, 404s and 422s before it meets them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
LOGIN = {("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/wechat")}  # 401: wrong credentials


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (method.upper(), path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    ]
    assert len(found) > 20
    return found


def test_every_error_response_is_documented_as_problem_details(app: FastAPI) -> None:
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["ProblemDetails"]
    assert {"status", "title", "detail", "code"} <= set(problem["required"])
    assert "errors" in problem["properties"] and "FieldError" in document["components"]["schemas"]
    for method, path, operation in _operations(app):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == PROBLEM, (method, path, status)
                assert response["description"], (method, path, status)
            if status in ("429", "503"):
                assert "Retry-After" in response["headers"], (method, path, status)


def test_401_is_declared_exactly_on_routes_that_read_a_token(app: FastAPI) -> None:
    # FastAPI lists the bearer scheme under `security` for every route whose dependencies read
    # the token — required (CurrentUser) or optional (OptionalUser: a bad token is still 401).
    authenticated = {(m, p) for m, p, op in _operations(app) if op.get("security")}
    declared = {(m, p) for m, p, op in _operations(app) if "401" in op["responses"]}
    assert declared - LOGIN == authenticated
    assert {("GET", "/api/v1/me"), ("GET", "/api/v1/feed")} <= authenticated
    assert ("GET", "/api/v1/topics") not in authenticated


def test_routes_declare_the_problems_their_inputs_can_cause(app: FastAPI) -> None:
    for method, path, operation in _operations(app):
        declared = operation["responses"]
        takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
        assert ("422" in declared) == takes_input, (method, path)
        assert ("413" in declared) == ("requestBody" in operation), (method, path)
        if "{" in path:  # an id the caller may not see, or that does not exist
            assert "404" in declared, (method, path)
