"""Every console route × every kind of staff answers as tests/console/matrix.py says, and every
console route has a line there (a new page without one fails here, by name)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from infra.services import Services
from tests.console.harness import Console
from tests.console.matrix import MATRIX, PRINCIPALS
from tests.factories import person
from tests.security.world import all_routes

MISSING_ID = "01JZZZZZZZZZZZZZZZZZZZZZZZ"
LOGOUT = ("POST", "/console/logout")


def test_every_console_route_has_a_line_in_the_matrix(app: FastAPI) -> None:
    served = {r for r in all_routes(app) if r[1].startswith("/console") and "static" not in r[1]}
    assert not sorted(served - MATRIX.keys()), "console routes without a line in matrix.py"
    assert not sorted(MATRIX.keys() - served), "matrix.py lines for routes no longer served"


@pytest.fixture(scope="module")
async def consoles(app: FastAPI, services: Services) -> AsyncIterator[dict[str, Console]]:
    people = {
        "political": await person(services, "political_reviewer"),
        "science": await person(services, "science_reviewer", disciplines=("medicine",)),
        "operator": await person(services, "admin"),
    }
    out = {"anonymous": Console(app)}
    for name, who in people.items():
        out[name] = Console(app)
        await out[name].login(who)
    yield out
    for c in out.values():
        await c.__aexit__()


def outcome(resp: httpx.Response) -> str:
    """What happened, in the matrix's words."""
    if resp.status_code == 303 and resp.headers["location"].startswith("/console/login?"):
        return "login"
    if error := resp.headers.get("x-console-error"):
        return error.split()[0]
    return str(resp.status_code)


# Logging out ends the module's sessions: that line goes last.
CASES = [
    (m, p, who, expected.split()[i])
    for (m, p), expected in sorted(MATRIX.items(), key=lambda kv: (kv[0] == LOGOUT, kv[0]))
    for i, who in enumerate(PRINCIPALS)
]


@pytest.mark.parametrize(
    ("method", "path", "who", "expected"), CASES, ids=[f"{c[0]} {c[1]} {c[2]}" for c in CASES]
)
async def test_console_route_answers_each_principal_as_the_matrix_says(
    consoles: dict[str, Console], method: str, path: str, who: str, expected: str
) -> None:
    console = consoles[who]
    url = re.sub(r"\{[^}]+\}", MISSING_ID, path)
    if method == "GET":
        resp = await console.get(url)
    else:
        await console.get("/console/login" if who == "anonymous" else "/console/")
        resp = await console.post(url, referer="/console/")
    seen = (
        f"{resp.status_code} {resp.headers.get('x-console-error')} {resp.headers.get('location')}"
    )
    assert outcome(resp) == expected, f"{method} {path} as {who}: {seen}"
