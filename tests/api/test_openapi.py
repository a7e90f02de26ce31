"""The OpenAPI document tells clients every error a route can answer with, as problem details,
and the codes of each: a client generated from it knows the 401s, 404s and 422s before it meets
them, and can switch on their codes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from api import openapi, problems
from api.deps import BEARER, CurrentUser, OptionalUser
from api.problem_codes import CODES
from api.problems import CODES_KEY
from infra.settings import Settings
from tests.security.matrix import MATRIX

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


OPERATIONS = Path(__file__).with_name("openapi_operations.txt")
SHORT_ID = re.compile(r"[a-z][A-Za-z0-9]{0,39}")


def _listed(text: str) -> set[tuple[str, str, str]]:
    """The lines of openapi_operations.txt: `operationId METHOD path`."""
    rows = (line.split() for line in text.splitlines() if line.strip() and line[0] != "#")
    return {(op_id, method, path) for op_id, method, path in rows}


def _lines(rows: set[tuple[str, str, str]]) -> str:
    return "".join(f"\n  {i:<16} {m:<6} {p}" for i, m, p in sorted(rows))


def test_every_operation_has_a_short_unique_id_pinned_by_the_stored_list(app: FastAPI) -> None:
    ids = [operation.get("operationId", "") for _, _, operation in _operations(app)]
    assert [i for i in ids if not SHORT_ID.fullmatch(i)] == []
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    served = {(op["operationId"], m, p) for m, p, op in _operations(app)}
    stored = _listed(OPERATIONS.read_text())
    assert served == stored, (
        f"{OPERATIONS.name} and the document differ. A new route: add its line. A changed "
        "line renames a method in every generated client: keep the handler's name, or change "
        f"the line knowingly.\nnot listed:{_lines(served - stored)}\nno such operation:"
        f"{_lines(stored - served)}"
    )


def test_new_routes_get_ids_and_security_from_their_handler_and_dependencies(
    tmp_path: Path,
) -> None:
    api = FastAPI(generate_unique_id_function=openapi.operation_id)
    router = APIRouter()

    @router.get("/mine")
    async def list_my_things(user: CurrentUser) -> None: ...

    @router.get("/public/{thing_id}")
    async def get_thing(thing_id: str, user: OptionalUser) -> None: ...

    @router.get("/open")
    async def open_thing() -> None: ...

    # One handler, two methods: a PATCH and the POST twin wx.request can send.
    @router.patch("/mine/{thing_id}")
    @router.post("/mine/{thing_id}/edit")
    async def edit_thing(thing_id: str, user: CurrentUser) -> None: ...

    api.include_router(router, prefix="/x")
    openapi.install(api, Settings(_env_file=None, data_dir=tmp_path), "/x")  # type: ignore[call-arg]
    paths = api.openapi()["paths"]
    mine, public, anyone = (paths[p]["get"] for p in ("/x/mine", "/x/public/{thing_id}", "/x/open"))
    assert [o["operationId"] for o in (mine, public, anyone)] == [
        "listMyThings",
        "getThing",
        "openThing",
    ]
    assert mine["security"] == [{BEARER: []}]
    assert public["security"] == [{}, {BEARER: []}]
    assert "security" not in anyone
    assert paths["/x/mine/{thing_id}"]["patch"]["operationId"] == "editThing"
    assert paths["/x/mine/{thing_id}/edit"]["post"]["operationId"] == "editThingPost"
    assert paths["/x/mine/{thing_id}/edit"]["post"]["security"] == [{BEARER: []}]


def test_security_is_required_exactly_where_an_anonymous_caller_is_refused(app: FastAPI) -> None:
    # The authorization matrix says what an anonymous caller gets on each route; a generated
    # client must demand a token exactly where that is 401, and offer one where it is optional.
    anonymous = {(m, p): row.expected[0] for (m, p), row in MATRIX.items()}
    for method, path, operation in _operations(app):
        security = operation.get("security")
        refused = anonymous[(method, path)] == 401
        if refused:
            assert security == [{BEARER: []}], (method, path, security)
        else:
            assert not security or security[0] == {}, (method, path, security)
    public = [
        ("GET", "/api/v1/feed"),
        ("GET", "/api/v1/contents/{content_id}"),
        ("GET", "/api/v1/media/{media_id}"),
    ]
    none = [("GET", "/api/v1/topics"), ("POST", "/api/v1/auth/wechat"), ("GET", "/api/v1/healthz")]
    document = app.openapi()
    for method, path in public:
        assert document["paths"][path][method.lower()]["security"] == [{}, {BEARER: []}]
    for method, path in none:
        assert "security" not in document["paths"][path][method.lower()]
    assert document["components"]["securitySchemes"][BEARER]["scheme"] == "bearer"


async def test_entity_tags_are_described_where_routes_answer_304(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for method, path, operation in _operations(app):
        conditional = operation["operationId"] in openapi.CONDITIONAL
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert ("If-None-Match" in headers) == conditional, (method, path)
        assert ("304" in operation["responses"]) == conditional, (method, path)
        if conditional:
            assert method == "GET"
            assert operation["responses"]["200"]["headers"]["ETag"]["required"] is True
            assert "ETag" in operation["responses"]["304"]["headers"]
        elif method == "GET" and "{" not in path and "?" not in path:
            # What an anonymous caller can fetch without input must not send an ETag unsaid.
            resp = await client.get(path)
            assert "etag" not in resp.headers, path
    first = await client.get("/api/v1/feed")
    again = await client.get("/api/v1/feed", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_servers_are_set_relative_first(app: FastAPI) -> None:
    servers = app.openapi()["servers"]
    assert servers[0]["url"] == "/"
    assert servers[1]["url"] == app.state.services.settings.public_api_base_url


@pytest.mark.parametrize("page", ["/api/v1/docs", "/api/v1/redoc"])
async def test_the_docs_pages_load_only_assets_the_app_serves(
    client: httpx.AsyncClient, page: str
) -> None:
    resp = await client.get(page)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", resp.text)
    urls += re.findall(r"""(?:url|spec-url)\s*:\s*['"]([^'"]+)['"]""", resp.text)
    assets = [u for u in urls if u.endswith((".js", ".css", ".png"))]
    assert len(assets) >= 2, resp.text
    assert "//" not in resp.text.replace("://kepu.test", ""), "an absolute URL on the page"
    for url in [*assets, "/api/v1/openapi.json"]:
        assert url.startswith("/api/v1/"), url
        asset = await client.get(url)
        assert asset.status_code == 200 and asset.content, url
    expected = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in assets:
        asset = await client.get(url)
        assert asset.headers["content-type"].startswith(expected[Path(url).suffix]), url


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
