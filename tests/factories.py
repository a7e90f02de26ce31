"""Small async factories: people with roles and tokens, and contents driven through the API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from content import accounts
from infra.security import issue_token
from infra.services import Services
from tests.conftest import eventually

PASSWORD = "correct horse battery"


@dataclass
class Person:
    id: str
    username: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def person(
    services: Services, *roles: str, disciplines: tuple[str, ...] = (), name: str | None = None
) -> Person:
    username = f"{(name or roles[0] if roles else 'user')}-{secrets.token_hex(4)}"
    async with services.write_sessions() as session:
        user = await accounts.create_staff_user(
            session,
            username=username,
            password=PASSWORD,
            display_name=name or username,
            roles=roles,
            disciplines=disciplines,
        )
        await session.commit()
    token = issue_token(user.id, services.settings.resolved_jwt_secret(), 3600)
    return Person(user.id, username, token)


@dataclass
class Crew:
    """Everyone an article's lifecycle needs."""

    creator: Person
    political: Person
    science: Person
    admin: Person


async def crew(services: Services, discipline: str = "medicine") -> Crew:
    return Crew(
        creator=await person(services, "creator"),
        political=await person(services, "political_reviewer"),
        science=await person(services, "science_reviewer", disciplines=(discipline,)),
        admin=await person(services, "admin"),
    )


def article(**overrides: Any) -> dict[str, Any]:
    body = {
        "type": "article",
        "title": "冬季如何科学预防流感",
        "summary": "接种疫苗、勤洗手、多通风。",
        "body": "## 预防要点\n\n研究表明，接种流感疫苗可以降低重症风险。\n\n- 勤洗手\n- 多通风",
        "topics": ["health"],
        "audiences": ["elderly"],
        "discipline": "medicine",
        "references": [{"title": "流感防治指南（2025年版）", "url": "https://example.org/guide"}],
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, who: Person, **overrides: Any) -> dict[str, Any]:
    resp = await client.post("/api/v1/contents", json=article(**overrides), headers=who.auth)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


async def get(client: httpx.AsyncClient, who: Person | None, content_id: str) -> httpx.Response:
    return await client.get(f"/api/v1/contents/{content_id}", headers=who.auth if who else {})


async def task_for(
    client: httpx.AsyncClient, reviewer: Person, stage: str, content_id: str
) -> dict[str, Any] | None:
    cursor = None
    while True:
        params: dict[str, str | int] = {"stage": stage, "status": "open", "limit": 50}
        if cursor:
            params["cursor"] = cursor
        resp = await client.get("/api/v1/review/tasks", params=params, headers=reviewer.auth)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        for t in page["items"]:
            if t["content_id"] == content_id:
                found: dict[str, Any] = t
                return found
        cursor = page["next_cursor"]
        if not cursor:
            return None


async def past_machine_stage(
    client: httpx.AsyncClient, who: Person, content_id: str
) -> dict[str, Any]:
    """The author's view of a submitted content once the machine stage has judged it."""

    async def judged() -> dict[str, Any] | None:
        detail: dict[str, Any] = (await get(client, who, content_id)).json()
        return detail if detail["review_stage"] != "machine" else None

    result: dict[str, Any] = await eventually(judged)  # type: ignore[assignment]
    return result
