"""The people and things the authorization matrix and the IDOR tests act on.

Principals are created once; each row of the matrix gets its own fresh target from a builder (a
draft, a content in the political stage, a published one, a media item…), so what one row does
(a takedown, a decision) never changes what another row sees.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import fastapi.routing
import httpx
from fastapi import FastAPI

from content.models import Media, MediaKind, MediaStatus
from infra.clock import utcnow
from infra.services import Services
from tests import factories as f

# The columns of the matrix, in this order. "creator" owns the row's target; "science" reviews
# the target's discipline (medicine), "science_other" another one (physics).
PRINCIPALS = (
    "anonymous", "viewer", "creator", "other_creator", "political", "science", "science_other",
    "admin",
)  # fmt: skip


@dataclass
class World:
    client: httpx.AsyncClient
    services: Services
    people: dict[str, f.Person | None]
    # Reviewers who move targets through the workflow, so the matrix's own reviewers stay
    # uninvolved (neither claimed nor decided anything) unless a row says otherwise.
    helpers: f.Crew

    @property
    def owner(self) -> f.Person:
        person = self.people["creator"]
        assert person is not None
        return person

    @property
    def crew(self) -> f.Crew:
        """The owner with the helper reviewers: what publishing a target needs."""
        return f.Crew(self.owner, self.helpers.political, self.helpers.science, self.helpers.admin)


async def make_world(client: httpx.AsyncClient, services: Services) -> World:
    people: dict[str, f.Person | None] = {
        "anonymous": None,
        "viewer": await f.person(services, "viewer"),
        "creator": await f.person(services, "creator"),
        "other_creator": await f.person(services, "creator"),
        "political": await f.person(services, "political_reviewer"),
        "science": await f.person(services, "science_reviewer", disciplines=("medicine",)),
        "science_other": await f.person(services, "science_reviewer", disciplines=("physics",)),
        "admin": await f.person(services, "admin"),
    }
    return World(client, services, people, await f.crew(services))


@dataclass
class Req:
    """What a row sends: values for the path's parameters, and a body."""

    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    query: dict[str, str] | None = None


Builder = Callable[[World], Awaitable[Req]]
BUILDERS: dict[str, Builder] = {}


def builder(fn: Builder) -> Builder:
    BUILDERS[fn.__name__] = fn
    return fn


async def _media(w: World) -> str:
    async with w.services.write_sessions() as session:
        media = Media(
            owner_id=w.owner.id,
            kind=MediaKind.image,
            object_key=f"uploads/{w.owner.id}/{secrets.token_hex(8)}/original",
            content_type="image/png",
            size=100,
            status=MediaStatus.ready,
        )
        session.add(media)
        await session.commit()
        return media.id


@builder
async def nothing(w: World) -> Req:
    return Req()


@builder
async def search_query(w: World) -> Req:
    return Req(query={"q": "流感疫苗"})


@builder
async def draft(w: World) -> Req:
    return Req({"content_id": (await f.create(w.client, w.owner))["id"]})


@builder
async def draft_edit(w: World) -> Req:
    req = await draft(w)
    return Req(req.params, json={"title": "改过的标题"})


@builder
async def political(w: World) -> Req:
    content_id, _ = await f.in_political(w.client, w.crew)
    return Req({"content_id": content_id})


@builder
async def political_task(w: World) -> Req:
    _, task_id = await f.in_political(w.client, w.crew)
    return Req({"task_id": task_id})


@builder
async def political_decision(w: World) -> Req:
    req = await political_task(w)
    return Req(req.params, json={"decision": "approve", "comment": "无政治问题"})


@builder
async def science(w: World) -> Req:
    """A content whose political stage the helpers approved: in its science stage."""
    content_id, _ = await f.in_science(w.client, w.crew)
    return Req({"content_id": content_id})


@builder
async def published(w: World) -> Req:
    return Req({"content_id": await f.publish(w.client, w.crew)})


@builder
async def published_view(w: World) -> Req:
    return Req((await published(w)).params, json={"watched_s": 3.0, "duration_s": 10.0})


@builder
async def published_ids(w: World) -> Req:
    return Req(query={"ids": (await published(w)).params["content_id"]})


@builder
async def creator_user(w: World) -> Req:
    """The owner as someone to follow."""
    return Req({"user_id": w.owner.id})


async def _commented(w: World, by: f.Person, body: str = "讲得很清楚") -> Req:
    content_id = (await published(w)).params["content_id"]
    posted = await f.comment(w.client, by, content_id, body)
    return Req({"content_id": content_id, "comment_id": posted["id"]})


@builder
async def comment(w: World) -> Req:
    """A visible comment, by someone outside the matrix, on the owner's published content."""
    return await _commented(w, w.helpers.political)


@builder
async def viewers_comment(w: World) -> Req:
    """The viewer's own comment on the owner's published content."""
    viewer = w.people["viewer"]
    assert viewer is not None
    return await _commented(w, viewer)


@builder
async def held_comment(w: World) -> Req:
    req = await _commented(w, w.helpers.political, f.HELD_COMMENT)
    return Req(req.params, json={"reason": "矩阵测试"})


@builder
async def new_comment(w: World) -> Req:
    return Req((await published(w)).params, json={"body": "讲得很清楚"})


@builder
async def draft_comment(w: World) -> Req:
    return Req((await draft(w)).params, json={"body": "讲得很清楚"})


@builder
async def comment_settings(w: World) -> Req:
    return Req((await published(w)).params, json={"enabled": False})


@builder
async def published_takedown(w: World) -> Req:
    return Req((await published(w)).params, json={"reason": "矩阵测试下线"})


@builder
async def published_pin(w: World) -> Req:
    until = (utcnow() + timedelta(days=1)).isoformat()
    return Req((await published(w)).params, json={"until": until})


@builder
async def pinned(w: World) -> Req:
    req = await published_pin(w)
    resp = await f.pin(w.client, w.helpers.admin, req.params["content_id"], req.json["until"])
    assert resp.status_code == 200, resp.text
    return Req(req.params)


@builder
async def published_report(w: World) -> Req:
    content_id = (await published(w)).params["content_id"]
    return Req(json={"content_id": content_id, "reason": "rumor", "detail": "矩阵测试举报"})


@builder
async def open_report(w: World) -> Req:
    """A helper's open report on a published content, to dismiss."""
    req = await published_report(w)
    resp = await w.client.post("/api/v1/reports", json=req.json, headers=w.helpers.political.auth)
    assert resp.status_code == 201, resp.text
    return Req({"report_id": resp.json()["id"]}, json={"action": "dismiss", "note": "矩阵测试"})


@builder
async def all_read(w: World) -> Req:
    return Req(json={"ids": "all"})


@builder
async def media(w: World) -> Req:
    return Req({"media_id": await _media(w)})


@builder
async def upload(w: World) -> Req:
    resp = await f.start_upload(w.client, w.owner, 1000)
    assert resp.status_code == 201, resp.text
    return Req({"upload_id": resp.json()["upload_id"]}, json={})


def _upload_body() -> dict[str, Any]:
    return {"filename": "cover.png", "content_type": "image/png", "size": 1000}


async def _made_by_admin(w: World, path: str, body: Any) -> str:
    resp = await w.client.post(path, json=body, headers=w.helpers.admin.auth)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


@builder
async def term(w: World) -> Req:
    body = (await new_term(w)).json
    return Req({"term_id": await _made_by_admin(w, "/api/v1/admin/screening/terms", body)})


@builder
async def discipline(w: World) -> Req:
    body = (await new_discipline(w)).json
    resp = await w.client.post("/api/v1/admin/disciplines", json=body, headers=w.helpers.admin.auth)
    assert resp.status_code == 201, resp.text
    return Req({"slug": resp.json()["slug"]})


@builder
async def new_discipline(w: World) -> Req:
    return Req(json={"slug": f"matrix-{secrets.token_hex(3)}", "name": "矩阵学"})


@builder
async def rumor(w: World) -> Req:
    body = (await new_rumor(w)).json
    return Req({"rumor_id": await _made_by_admin(w, "/api/v1/admin/rumors", body)})


@builder
async def new_content(w: World) -> Req:
    return Req(json=f.article())


@builder
async def new_upload(w: World) -> Req:
    return Req(json=_upload_body())


@builder
async def new_user(w: World) -> Req:
    return Req(
        json={
            "username": f"made-{secrets.token_hex(4)}",
            "password": secrets.token_urlsafe(24),
            "display_name": "新审核员",
            "roles": ["political_reviewer"],
        }
    )


@builder
async def new_term(w: World) -> Req:
    return Req(
        json={"term": f"矩阵词{secrets.token_hex(3)}", "category": "test", "severity": "info"}
    )


@builder
async def new_claim_pattern(w: World) -> Req:
    return Req(
        json={
            "family": "test",
            "pattern": f"矩阵宣称{secrets.token_hex(3)}…[治好|治愈]",
            "severity": "info",
            "message": "测试用的宣称模式",
        }
    )


@builder
async def claim_pattern(w: World) -> Req:
    body = (await new_claim_pattern(w)).json
    return Req({"pattern_id": await _made_by_admin(w, "/api/v1/admin/screening/claims", body)})


@builder
async def new_rumor(w: World) -> Req:
    return Req(
        json={
            "claim": f"谣言{secrets.token_hex(3)}",
            "truth": "真相",
            "keywords": [f"矩阵{secrets.token_hex(3)}", f"测试{secrets.token_hex(3)}"],
        }
    )


@builder
async def incomplete_login(w: World) -> Req:
    # No password: 422 for everyone before any rate limit counts the attempt.
    return Req(data={"username": "nobody"})


@builder
async def empty_wechat(w: World) -> Req:
    return Req(json={})


@builder
async def new_profile(w: World) -> Req:
    return Req(json={"display_name": "矩阵里的人"})


@builder
async def storage_key(w: World) -> Req:
    return Req({"key": f"uploads/{w.owner.id}/x/original"})


PARAM = re.compile(r"\{([^}:]+)(:[^}]*)?\}")


def all_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route the app answers; HEAD rides on GET. Newer
    FastAPI keeps included routers as branches: walk them as its own router does."""
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(walk(app.routes)) if walk else app.routes
    found: set[tuple[str, str]] = set()
    for route in routes:
        methods, path = getattr(route, "methods", None), getattr(route, "path", None)
        if methods and path:
            found |= {(m, path) for m in methods if m != "HEAD"}
    return found


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """The routes taking bearer tokens; the console's pages (cookie sessions) have their own
    matrix, tests/console/matrix.py."""
    return {(m, p) for m, p in all_routes(app) if not p.startswith("/console")}


def fill(path: str, params: dict[str, str]) -> str:
    return PARAM.sub(lambda m: params[m.group(1)], path)


async def send(w: World, method: str, path: str, req: Req, who: str) -> httpx.Response:
    person = w.people[who]
    kwargs: dict[str, Any] = {"headers": person.auth if person else {}}
    if req.json is not None:
        kwargs["json"] = req.json
    if req.data is not None:
        kwargs["data"] = req.data
    if req.query is not None:
        kwargs["params"] = req.query
    return await w.client.request(method, fill(path, req.params), **kwargs)
