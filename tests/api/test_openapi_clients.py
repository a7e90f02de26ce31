"""Clients generated from /api/v1/openapi.json, as a client team makes them: the document is valid
OpenAPI; openapi-typescript (npm, pinned in clients/) and openapi-python-client generate from
it without a warning; TypeScript written against the generated types compiles; the generated
Python client reads the feed and a content's detail from the running app, ETag and 304 included."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate

from infra.services import Services
from tests import factories as f
from tests.helpers import CLIENT_PACKAGE, generated_operation, run_tool

CLIENTS = Path(__file__).resolve().parents[2] / "clients"
NODE_BIN = CLIENTS / "node_modules" / ".bin"


def test_the_document_is_valid_openapi(app: FastAPI) -> None:
    validate(app.openapi())


def _node_tools() -> Path:
    if (NODE_BIN / "openapi-typescript").exists() and (NODE_BIN / "tsc").exists():
        return NODE_BIN
    if os.environ.get("CI"):
        pytest.fail("clients/node_modules is missing: .ci/run installs it with `npm ci`")
    pytest.skip("the TypeScript client needs `npm ci` in clients/ (node and npm)")


def test_a_typescript_client_generates_without_warnings_and_compiles(
    spec: Path, tmp_path: Path
) -> None:
    tools = _node_tools()
    generated = run_tool(tools / "openapi-typescript", spec, "-o", tmp_path / "kepu.ts")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    said = (generated.stdout + generated.stderr).splitlines()
    # Only its banner and the line naming the file written; anything else is a warning.
    assert [line for line in said if line.strip() and not line.startswith(("✨", "🚀"))] == []
    for name in ("usage.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / name, tmp_path / name)
    compiled = run_tool(tools / "tsc", "-p", tmp_path / "tsconfig.json")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


async def test_the_python_client_reads_the_feed_and_details_of_the_running_app(
    python_client: ModuleType, app: FastAPI, client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    published = await f.publish(client, crew, title="生成的客户端读到的文章")
    draft = (await f.create(client, crew.creator, title="只给作者看的草稿"))["id"]
    get_feed, get_content = generated_operation("getFeed"), generated_operation("getContent")
    assert get_feed and get_content
    models = importlib.import_module(f"{CLIENT_PACKAGE}.models")
    # The generated client makes its own httpx client; this one reaches the app in-process.
    transport = {"transport": httpx.ASGITransport(app=app)}
    anonymous = python_client.Client(base_url="http://kepu.test", httpx_args=transport)
    creator = python_client.AuthenticatedClient(
        base_url="http://kepu.test", token=crew.creator.token, httpx_args=transport
    )

    page = await get_feed.asyncio_detailed(client=anonymous, limit=50)
    assert page.status_code == 200 and isinstance(page.parsed, models.PageCardOut)
    assert published in [card.id for card in page.parsed.items] and page.headers["etag"]

    detail = await get_content.asyncio_detailed(client=anonymous, content_id=published)
    assert detail.status_code == 200 and isinstance(detail.parsed, models.ContentOut)
    assert detail.parsed.title == "生成的客户端读到的文章"
    kept = await get_content.asyncio_detailed(
        client=anonymous, content_id=published, if_none_match=detail.headers["etag"]
    )
    assert (kept.status_code, kept.content, kept.parsed) == (304, b"", None)

    own = await get_content.asyncio_detailed(client=creator, content_id=draft)
    assert own.status_code == 200 and own.parsed.status.value == "draft"
    hidden = await get_content.asyncio_detailed(client=anonymous, content_id=draft)
    assert hidden.status_code == 404 and isinstance(hidden.parsed, models.ProblemDetails)
    assert hidden.parsed.code == "content.not_found"
