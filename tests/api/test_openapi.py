"""The OpenAPI document tells clients every error a route can answer with, as problem details,
and the codes of each: a client generated from it knows the 401s, 404s and 422s before it meets
them, and can switch on their codes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from api import problems
from api.problem_codes import CODES
from api.problems import CODES_KEY

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


def test_each_problem_response_lists_the_codes_a_client_can_switch_on(app: FastAPI) -> None:
    document = app.openapi()
    assert document["components"]["schemas"]["ProblemCode"]["enum"] == sorted(CODES)
    for method, path, operation in _operations(app):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            codes = response[CODES_KEY]
            # A route can answer these statuses only with codes it must name itself.
            assert codes, f"{method} {path} {status}: name its codes in responses=(codes=…)"
            assert all(CODES[c].status == int(status) for c in codes), (method, path, status)
            assert all(f"`{c}`" in response["description"] for c in codes), (method, path)
    responses = {(m, p): op["responses"] for m, p, op in _operations(app)}
    assert (
        "content.not_found" in responses["GET", "/api/v1/contents/{content_id}"]["404"][CODES_KEY]
    )
    wechat = responses["POST", "/api/v1/auth/wechat"]["503"][CODES_KEY]
    assert {"auth.wechat_not_configured", "auth.wechat_unavailable"} <= set(wechat)
    pin = responses["POST", "/api/v1/admin/contents/{content_id}/pin"]["422"][CODES_KEY]
    assert "pin.invalid_until" in pin and "validation_error" in pin


def test_statuses_alone_still_declare_problems_and_codes_bring_their_status() -> None:
    plain = problems.responses(401, 404, 422)
    assert set(plain) == {401, 404, 422}
    assert plain[401][CODES_KEY] == ["auth.required", "auth.invalid_token"]
    assert plain[404][CODES_KEY] == []
    named = problems.responses(401, "content.not_found", 422, codes=["view.invalid_progress"])
    assert set(named) == {401, 404, 422}
    assert named[404][CODES_KEY] == ["content.not_found"]
    assert named[422][CODES_KEY] == ["validation_error", "invalid_text", "view.invalid_progress"]
    with pytest.raises(ValueError, match="problem_codes"):
        problems.responses(404, codes=["content.gone_fishing"])
