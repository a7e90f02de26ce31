"""Abuse limits: oversized request bodies and password guessing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx

from infra.services import Services
from tests import factories as f


async def test_an_oversized_json_body_is_413_before_it_is_read(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    body = json.dumps(f.article(body="字" * (services.settings.max_request_bytes // 2)))
    resp = await client.post(
        "/api/v1/contents",
        content=body.encode(),
        headers={**creator.auth, "Content-Type": "application/json"},
    )
    assert resp.status_code == 413 and resp.json()["code"] == "request.too_large"
    mine = (await client.get("/api/v1/me/contents", headers=creator.auth)).json()
    assert mine["items"] == []


async def test_an_oversized_chunked_body_is_413_too(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * (services.settings.max_request_bytes // 2)

    resp = await client.post(
        "/api/v1/contents",
        content=chunks(),
        headers={**creator.auth, "Content-Type": "application/json"},
    )
    assert resp.status_code == 413


async def test_password_guessing_is_slowed_to_a_few_attempts_a_minute(
    client: httpx.AsyncClient, services: Services
) -> None:
    victim = await f.person(services, "admin")
    limit = services.settings.login_per_minute
    codes = [
        (
            await client.post(
                "/api/v1/auth/token", data={"username": victim.username, "password": f"guess{i}"}
            )
        ).status_code
        for i in range(limit + 2)
    ]
    assert codes[:limit] == [401] * limit
    assert codes[limit:] == [429, 429]
    resp = await client.post(
        "/api/v1/auth/token", data={"username": victim.username, "password": f.PASSWORD}
    )
    assert resp.status_code == 429 and int(resp.headers["retry-after"]) > 0
