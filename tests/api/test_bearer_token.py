"""The feed reads a bearer token as every other route does (api.deps.bearer_user_id)."""

from __future__ import annotations

import httpx
import pytest

API = "/api/v1"


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        ("Basic dXNlcjpwYXNzd29yZA==", None),  # another scheme is no token: anonymous
        ("Bearer", None),  # no token at all
        ("Bearer not-a-token", 401),
    ],
)
async def test_the_feed_and_an_optional_login_route_read_a_token_alike(
    client: httpx.AsyncClient, authorization: str, status: int | None
) -> None:
    headers = {"Authorization": authorization}
    feed = await client.get(f"{API}/feed", headers=headers)
    detail = await client.get(f"{API}/contents/no-such-content", headers=headers)
    assert feed.status_code == (status or 200), feed.text
    assert detail.status_code == (status or 404), detail.text
