"""The OpenAPI document as a contract a client generator can build on: short operation ids taken
from the handlers' names, security derived from the dependencies a route uses (optional where a
token only personalises), entity tags described where a route answers 304, `servers` set, and the
docs page served from assets installed with the app, never from a CDN."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.base import SecurityBase

from api import deps
from infra.settings import Settings

# Operations that answer with an ETag and honour If-None-Match with a 304, by operation id
# (ids are pinned by tests/api/openapi_operations.txt, so this set cannot drift silently).
CONDITIONAL = frozenset({"getFeed", "getContent", "getRankings", "listComments", "listReplies"})
# Dependencies that refuse a request without a token: a route that uses one needs the token; a
# route that only reads it (OptionalUser) takes it when sent and answers without it.
_REFUSES_WITHOUT_TOKEN = (deps.get_current_user,)
# Which of a handler's methods keeps its plain id: the one other clients call (PATCH before the
# POST or PUT twin wx.request can send); sorted() keeps document order among equals.
_METHOD_RANK = ("get", "head", "patch", "put", "delete", "post", "options", "trace")
# Swagger UI and ReDoc as the fastapi-offline package installs them (their MIT licences travel
# with it): the docs page works where no CDN is reachable, and loads nothing from elsewhere.
ASSETS = resources.files("fastapi_offline") / "static"
ASSET_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
_ASSET_CACHE = {"Cache-Control": "public, max-age=86400"}
_ETAG = {
    "description": "the entity tag of this body: send it back as If-None-Match",
    "schema": {"type": "string"},
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "the ETag of the copy the client holds: 304 with no body while it is current",
    "schema": {"type": "string"},
}
_NOT_MODIFIED = {
    "description": "Not modified: the copy named by If-None-Match is current; no body",
    "headers": {"ETag": _ETAG},
}


def operation_id(route: APIRoute) -> str:
    """The handler's name in camelCase (`get_feed` → `getFeed`): short, and stable while the
    handler keeps its name (tests/api/openapi_operations.txt pins every id)."""
    head, *rest = route.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def install(app: FastAPI, settings: Settings, prefix: str) -> None:
    """Complete the document FastAPI (and api.problems) generates, and serve the docs pages."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        with warnings.catch_warnings():
            # One handler serving two methods (a PATCH and its POST twin for wx.request) gives
            # both the handler's id; _distinct_ids tells them apart below.
            warnings.filterwarnings("ignore", message="Duplicate Operation ID")
            document = generate()  # cached as app.openapi_schema: completed in place
        document["servers"] = _servers(settings)
        _complete(app, document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    _add_docs(app, prefix)


def _servers(settings: Settings) -> list[dict[str, str]]:
    # Relative first: the server the document was fetched from; then the configured public URL.
    return [
        {"url": "/", "description": "the server this document was fetched from"},
        {"url": settings.public_api_base_url, "description": "KEPU_PUBLIC_API_BASE_URL"},
    ]


def _routes(app: FastAPI) -> Iterator[Any]:
    """Every route in the document (FastAPI keeps included routers as branches: walk them)."""
    for route in iter_route_contexts(app.routes):
        if getattr(route, "include_in_schema", False) and hasattr(route, "dependant"):
            yield route


def _complete(app: FastAPI, document: dict[str, Any]) -> None:
    routes = {
        (route.path_format, method.lower()): route
        for route in _routes(app)
        for method in route.methods
    }
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    if deps.BEARER in schemes:
        schemes[deps.BEARER]["description"] = deps.BEARER_DESCRIPTION
        schemes[deps.BEARER]["bearerFormat"] = "JWT"
    _distinct_ids(document)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            route = routes.get((path, method))
            if route is not None:
                _secure(operation, route)
            if operation.get("operationId") in CONDITIONAL:
                _conditional(operation)


def _distinct_ids(document: dict[str, Any]) -> None:
    """Operations of one handler share its id: the one whose method comes first in
    `_METHOD_RANK` keeps it, whatever the order of the decorators; the others get their method
    appended (`editContent` for PATCH, `editContentPost` for its POST twin), then a number if
    that is taken too."""
    shared: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            shared.setdefault(operation["operationId"], []).append((method, operation))
    taken = set(shared)
    for wanted, operations in shared.items():
        ranked = sorted(operations, key=lambda mo: _METHOD_RANK.index(mo[0]))
        for method, operation in ranked[1:]:
            candidate, n = wanted + method.capitalize(), 1
            while candidate in taken:
                n += 1
                candidate = f"{wanted}{method.capitalize()}{n}"
            operation["operationId"] = candidate
            taken.add(candidate)


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependencies(sub)


def _secure(operation: dict[str, Any], route: Any) -> None:
    """`security` from what the route's dependencies do with a token: required where one of
    them refuses a request without it, optional (`{}` first) where they only read it, none where
    no dependency reads one. A route that reads the token by hand declares its own."""
    calls = list(_dependencies(route.dependant))
    schemes = list(dict.fromkeys(c.scheme_name for c in calls if isinstance(c, SecurityBase)))
    if not schemes:
        return  # nothing read through a dependency: what openapi_extra says, if anything
    required = any(c in _REFUSES_WITHOUT_TOKEN for c in calls) or any(
        isinstance(c, SecurityBase) and getattr(c, "auto_error", False) for c in calls
    )
    requirements: list[dict[str, list[str]]] = [{name: []} for name in schemes]
    operation["security"] = requirements if required else [{}, *requirements]


def _conditional(operation: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    if not any(p["name"] == _IF_NONE_MATCH["name"] for p in parameters):
        parameters.append(dict(_IF_NONE_MATCH))
    responses = operation["responses"]
    responses["200"].setdefault("headers", {})["ETag"] = {**_ETAG, "required": True}
    responses["304"] = _NOT_MODIFIED


def _add_docs(app: FastAPI, prefix: str) -> None:
    """Swagger UI at ``{prefix}/docs`` and ReDoc at ``{prefix}/redoc``, with their scripts and
    styles served by the app itself under ``{prefix}/docs/assets/``."""
    assets = f"{prefix}/docs/assets"
    redirect = f"{prefix}/docs/oauth2-redirect"
    openapi_url = app.openapi_url or f"{prefix}/openapi.json"

    @app.get(f"{prefix}/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root + redirect,
            swagger_js_url=f"{root}{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets}/favicon.png",
            # No validity badge: it would send the document to a public validator.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(f"{prefix}/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{assets}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{assets}/favicon.png",
            with_google_fonts=False,
        )

    # One fixed route per file: nothing else under the package's folder can be asked for.
    for name, media_type in ASSET_FILES.items():
        app.add_api_route(
            f"{assets}/{name}",
            _asset(name, media_type),
            methods=["GET"],
            include_in_schema=False,
            name=f"docs_asset_{name}",
        )


def _asset(name: str, media_type: str) -> Any:
    path = Path(str(ASSETS / name))

    async def serve() -> FileResponse:
        # The files change only with the package's version: a day in caches is safe.
        return FileResponse(path, media_type=media_type, headers=_ASSET_CACHE)

    return serve
