"""The console's third-party scripts are the npm registry's files, byte for byte, at the versions
clients/package-lock.json pins (upgrade: bump them there, `npm ci`, copy, and this test agrees)."""

from __future__ import annotations

import json

import httpx
import pytest

from api.console.pages import STATIC
from tests.console.harness import ROOT

VENDORED = {
    "vendor/htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
    "vendor/chart.umd.min.js": ("chart.js", "dist/chart.umd.min.js"),
}


@pytest.mark.parametrize("name", sorted(VENDORED))
def test_vendored_scripts_are_the_pinned_packages_files(name: str) -> None:
    package, path = VENDORED[name]
    modules = ROOT / "clients" / "node_modules" / package
    lock = json.loads((ROOT / "clients" / "package-lock.json").read_text())
    pinned = lock["packages"][f"node_modules/{package}"]["version"]
    assert json.loads((modules / "package.json").read_text())["version"] == pinned
    assert (STATIC / name).read_bytes() == (modules / path).read_bytes()


async def test_assets_are_cached_for_good_because_their_urls_change_with_them(
    client: httpx.AsyncClient,
) -> None:
    from api.console.pages import static_url

    url = static_url("console.css")
    assert "?v=" in url
    resp = await client.get(url)
    assert resp.status_code == 200 and "text/css" in resp.headers["content-type"]
    assert "immutable" in resp.headers["cache-control"]
    missing = await client.get("/console/static/nothing.js")
    assert missing.status_code == 404 and "<html" in missing.text
