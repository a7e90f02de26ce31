"""Everything the app serves is reachable with the methods WeChat's `wx.request` can send: a
route that takes a method outside that set (PATCH) has a twin on the same path, with the same
handler, under one inside it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastapi.routing

from api.app import create_app
from infra.settings import Settings
from tests.helpers import WX_METHODS


def _handlers(tmp_path: Path) -> dict[str, dict[str, Callable[..., Any]]]:
    """Every served path, and each of its methods' handler."""
    app = create_app(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    paths: dict[str, dict[str, Callable[..., Any]]] = defaultdict(dict)
    # Newer FastAPI keeps included routers as branches: walk them as its own router does.
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    for route in list(walk(app.routes)) if walk else app.routes:
        path, endpoint = getattr(route, "path", None), getattr(route, "endpoint", None)
        for method in getattr(route, "methods", None) or ():
            if path and endpoint:
                paths[path][method] = endpoint
    return paths


def test_no_route_is_reachable_only_by_a_method_wx_request_cannot_send(tmp_path: Path) -> None:
    paths = _handlers(tmp_path)
    assert paths, "the app serves no routes?"
    stranded = [
        f"{method} {path}"
        for path, methods in paths.items()
        for method, handler in methods.items()
        if method not in WX_METHODS
        and not any(m in WX_METHODS and h is handler for m, h in methods.items())
    ]
    assert not stranded, f"only reachable by a method wx.request cannot send: {stranded}"


def test_editing_a_content_has_a_put_twin_of_patch(tmp_path: Path) -> None:
    methods = _handlers(tmp_path)["/api/v1/contents/{content_id}"]
    assert methods["PUT"] is methods["PATCH"]
