"""Ids in paths are never a key to someone else's things: for every route that takes an id, an
id that does not exist, an id of another kind of thing, another creator's id and hostile strings
are refused (401/403/404, or 422 for a malformed id), never served, never a 5xx."""

from __future__ import annotations

import secrets

import pytest
from fastapi import FastAPI

from tests import factories as f
from tests.security.matrix import MATRIX
from tests.security.world import BUILDERS, PARAM, PRINCIPALS, Req, World, fill, send, served_routes

REFUSED = {401, 403, 404, 422}
HOSTILE = [
    "0" * 26,
    "x" * 300,
    "..%2F..%2Fetc%2Fpasswd",
    "1%20OR%201%3D1",
    "%27%3B%20DROP%20TABLE%20content%3B--",
    "%E2%80%8B",
    "%00",
]


def _id_routes(app: FastAPI) -> list[tuple[str, str]]:
    # The storage routes take an object key checked by a signature (tests/infra/test_storage.py).
    return sorted((m, p) for m, p in served_routes(app) if PARAM.search(p) and "/storage/" not in p)


async def _refused_for_everyone(w: World, method: str, path: str, req: Req) -> None:
    line = MATRIX[(method, path)]
    # The row's body, so what is refused is the id, not a missing field.
    body = await BUILDERS[line.builder](w)
    attempt = Req(req.params, json=body.json, data=body.data)
    for who in PRINCIPALS:
        resp = await send(w, method, path, attempt, who)
        assert resp.status_code in REFUSED, (who, method, fill(path, req.params), resp.text)
        f.assert_problem(resp, resp.status_code)


@pytest.fixture(scope="module")
def id_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = _id_routes(app)
    assert routes, "no route takes an id?"
    return routes


async def test_ids_that_do_not_exist_are_refused_everywhere(
    world: World,
    id_routes: list[tuple[str, str]],
) -> None:
    for method, path in id_routes:
        params = {m.group(1): secrets.token_hex(13) for m in PARAM.finditer(path)}
        await _refused_for_everyone(world, method, path, Req(params))


async def test_ids_of_another_kind_of_thing_are_refused_everywhere(
    world: World,
    id_routes: list[tuple[str, str]],
) -> None:
    # Real ids of the wrong kind: a user's, a review task's, a media item's where a content's
    # goes, and so on; each must find nothing.
    _, task_id = await f.in_political(world.client, world.crew)
    media_id = (await BUILDERS["media"](world)).params["media_id"]
    content_id = (await BUILDERS["draft"](world)).params["content_id"]
    others = {
        "content_id": [task_id, media_id, world.owner.id],
        "task_id": [content_id, media_id, world.owner.id],
        "media_id": [content_id, task_id, world.owner.id],
    }
    fallback = [content_id, task_id, media_id, world.owner.id]
    for method, path in id_routes:
        names = [m.group(1) for m in PARAM.finditer(path)]
        for i in range(3):
            params = {n: others.get(n, fallback)[i] for n in names}
            await _refused_for_everyone(world, method, path, Req(params))


async def test_hostile_id_strings_are_refused_never_an_error(
    world: World,
    id_routes: list[tuple[str, str]],
) -> None:
    admin = world.people["admin"]
    owner = world.owner
    for method, path in id_routes:
        line = MATRIX[(method, path)]
        body = await BUILDERS[line.builder](world)
        for hostile in HOSTILE:
            params = {m.group(1): hostile for m in PARAM.finditer(path)}
            for who in (admin, owner):
                assert who is not None
                kwargs: dict[str, object] = {"headers": who.auth}
                if body.json is not None:
                    kwargs["json"] = body.json
                resp = await world.client.request(method, fill(path, params), **kwargs)
                assert resp.status_code in REFUSED | {405}, (method, path, hostile, resp.text)
                f.assert_problem(resp, resp.status_code)


async def test_another_creators_draft_is_not_found_by_any_route(world: World) -> None:
    """The classic IDOR: the other creator, knowing the id, reads or changes nothing."""
    content_id = (await BUILDERS["draft"](world)).params["content_id"]
    other = world.people["other_creator"]
    assert other is not None
    for method, path in sorted(MATRIX):
        if "{content_id}" not in path or path.startswith("/api/v1/admin/"):
            continue
        line = MATRIX[(method, path)]
        body = await BUILDERS[line.builder](world)
        resp = await send(
            world,
            method,
            path,
            Req({**body.params, "content_id": content_id}, json=body.json),
            "other_creator",
        )
        f.assert_problem(resp, 404, "content.not_found")
    detail = await f.get(world.client, world.owner, content_id)
    assert detail.json()["status"] == "draft" and detail.json()["title"] != "改过的标题"
