"""Every interaction write shares one per-minute limit; reading what one did is not limited."""

from __future__ import annotations

import httpx
from sqlmodel import select

from content.models import Report
from infra.services import Services
from tests import factories as f

API = "/api/v1"


async def test_every_interaction_write_is_refused_past_the_limit_and_reads_are_not(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    for i in range(services.settings.interactions_per_minute):
        verb = client.post if i % 2 == 0 else client.delete
        resp = await verb(f"{API}/contents/{content_id}/like", headers=fan.auth)
        assert resp.status_code == 200, resp.text
    view = {"watched_s": 1.0, "duration_s": 10.0}
    writes = [
        ("POST", f"/contents/{content_id}/like", None),
        ("DELETE", f"/contents/{content_id}/like", None),
        ("POST", f"/contents/{content_id}/favorite", None),
        ("DELETE", f"/contents/{content_id}/favorite", None),
        ("POST", f"/contents/{content_id}/share", None),
        ("POST", f"/contents/{content_id}/views", view),
        ("POST", f"/users/{crew.creator.id}/follow", None),
        ("DELETE", f"/users/{crew.creator.id}/follow", None),
        ("POST", "/reports", {"content_id": content_id, "reason": "rumor"}),
    ]
    for method, path, body in writes:
        resp = await client.request(method, API + path, json=body, headers=fan.auth)
        f.assert_problem(resp, 429, "interaction.rate_limited")
    async with services.read_sessions() as session:  # the refused report wrote nothing
        reported = await session.exec(select(Report).where(Report.content_id == content_id))
        assert reported.all() == []
    mine = await client.get(f"{API}/me/interactions", params={"ids": content_id}, headers=fan.auth)
    assert mine.status_code == 200, mine.text
