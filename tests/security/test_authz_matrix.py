"""Every route × every principal answers the status tests/security/matrix.py expects, and every
route the app serves has a line there: a new route without one fails here, by name."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests import factories as f
from tests.security.matrix import MATRIX, VARIANTS
from tests.security.world import BUILDERS, PRINCIPALS, World, send, served_routes


def test_every_route_has_a_line_in_the_matrix(app: FastAPI) -> None:
    served = served_routes(app)
    missing = sorted(served - MATRIX.keys())
    stale = sorted(MATRIX.keys() - served)
    assert not missing, (
        "routes without a line in tests/security/matrix.py (add one per route: builder and the "
        "expected status for each principal):\n" + "\n".join(f"  {m} {p}" for m, p in missing)
    )
    assert not stale, "lines for routes the app no longer serves:\n" + "\n".join(
        f"  {m} {p}" for m, p in stale
    )


CASES = [(m, p, row.builder, row.expected) for (m, p), row in sorted(MATRIX.items())] + [
    (m, p, b, tuple(int(s) for s in statuses.split()))
    for (m, p, b), statuses in sorted(VARIANTS.items())
]


@pytest.mark.parametrize(
    ("method", "path", "target", "statuses"), CASES, ids=[f"{c[0]} {c[1]} {c[2]}" for c in CASES]
)
async def test_route_answers_each_principal_as_the_matrix_says(
    world: World, method: str, path: str, target: str, statuses: tuple[int, ...]
) -> None:
    assert len(statuses) == len(PRINCIPALS), f"{method} {path}: one status per principal"
    req = await BUILDERS[target](world)
    expected = dict(zip(PRINCIPALS, statuses, strict=True))
    # Those refused go first, so a success that changes the target (a takedown, a decision)
    # comes after every refusal was checked against the unchanged target.
    order = sorted(PRINCIPALS, key=lambda p: expected[p] < 400)
    got: dict[str, int] = {}
    for who in order:
        resp = await send(world, method, path, req, who)
        got[who] = resp.status_code
        if resp.status_code >= 400:
            f.assert_problem(resp, resp.status_code)
    wrong = {p: (expected[p], got[p]) for p in PRINCIPALS if got[p] != expected[p]}
    assert not wrong, f"{method} {path}: principal: (expected, got) {wrong}"
