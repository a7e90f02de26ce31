"""docs/api.md and the app agree: every route served under /api/v1 has a `served` row there, and
every `served` row is a route the app serves (the format is described at the top of api.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.app import API_PREFIX, create_app
from infra.settings import Settings

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
MARKERS = ("served", "planned")
Endpoint = tuple[str, str]  # (method, path with every {parameter} written as {})


def _normalized(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.split("?", 1)[0])


def documented(text: str) -> dict[str, set[Endpoint]]:
    """The endpoints of api.md's tables, by marker: rows `| marker | METHOD[ / METHOD] | `path`
    [, `path`] | …`."""
    found: dict[str, set[Endpoint]] = {m: set() for m in MARKERS}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] not in MARKERS:
            continue
        methods = [m.strip().upper() for m in cells[1].split("/")]
        paths = re.findall(r"`([^`]+)`", cells[2])
        assert paths, f"docs/api.md: a {cells[0]} row without a `path`: {line}"
        found[cells[0]] |= {(m, _normalized(p)) for m in methods for p in paths}
    return found


def served(tmp_path: Path) -> set[Endpoint]:
    app = create_app(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    return {
        (method.upper(), _normalized(path.removeprefix(API_PREFIX)))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(API_PREFIX + "/")
        for method in operations
    }


@pytest.fixture(scope="module")
def doc() -> dict[str, set[Endpoint]]:
    return documented(API_DOC.read_text())


def test_every_route_the_app_serves_is_documented_as_served(
    doc: dict[str, set[Endpoint]], tmp_path: Path
) -> None:
    missing = served(tmp_path) - doc["served"]
    assert not missing, (
        "routes without a `served` row in docs/api.md (add one, or flip its `planned` row): "
        + ", ".join(f"{m} {p}" for m, p in sorted(missing))
    )


def test_every_endpoint_documented_as_served_exists(
    doc: dict[str, set[Endpoint]], tmp_path: Path
) -> None:
    absent = doc["served"] - served(tmp_path)
    assert not absent, (
        "docs/api.md marks these `served` but the app has no such route: "
        + ", ".join(f"{m} {p}" for m, p in sorted(absent))
    )


def test_the_reader_understands_the_row_format() -> None:
    rows = documented(
        "| | method | path | who | what |\n|---|---|---|---|---|\n"
        "| served | POST / DELETE | `/contents/{id}/like`, `/contents/{x}/favorite` | v | a `b` |\n"
        "| planned | GET | `/search?q=` | anyone | … |\n"
        "| status | means |\n| 401 | served is not a marker here |\n"
    )
    assert rows["served"] == {
        ("POST", "/contents/{}/like"),
        ("DELETE", "/contents/{}/like"),
        ("POST", "/contents/{}/favorite"),
        ("DELETE", "/contents/{}/favorite"),
    }
    assert rows["planned"] == {("GET", "/search")}
