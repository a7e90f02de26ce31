"""Operators' claim patterns over HTTP: one added applies to the next screening (a block stops a
submission), a bad pattern is refused with its code and writes nothing, and removing one lifts it.
The pattern language and the health families are tried on the screener in
tests/content/test_health_claims.py."""

from __future__ import annotations

import secrets

import httpx
from sqlmodel import func, select

from content.models import ClaimPattern
from infra.services import Services
from tests import factories as f

CLAIMS = "/api/v1/admin/screening/claims"


async def _count(services: Services) -> int:
    async with services.read_sessions() as session:
        return (await session.exec(select(func.count()).select_from(ClaimPattern))).one()


async def test_a_claim_pattern_added_by_an_operator_applies_until_removed(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    creator = await f.person(services, "creator")
    remedy = "量子贴" + secrets.token_hex(2)
    body = {
        "family": "stop_medicine",
        "pattern": f"{remedy}…[收起|扔掉]…胰岛素",
        "severity": "block",
        "message": "不要劝读者停用胰岛素。",
    }
    added = await client.post(CLAIMS, json=body, headers=admin.auth)
    assert added.status_code == 201, added.text
    pattern = added.json()
    assert {k: pattern[k] for k in body} == body
    listed = (await client.get(CLAIMS, headers=admin.auth)).json()
    assert pattern["id"] in [p["id"] for p in listed["items"]]

    text = f"贴上{remedy}，就可以收起胰岛素了。"
    blocked = await f.screened(client, creator, summary=text)
    assert blocked["status"] == "rejected"
    [finding] = [x for x in blocked["findings"] if x["severity"] == "block"]
    assert finding["check"] == "health_claim" and finding["category"] == "stop_medicine"
    assert finding["ref"] == pattern["id"] and finding["field"] == "summary"
    assert text[finding["start"] : finding["end"]] == finding["excerpt"]
    assert "不要劝读者停用胰岛素" in finding["message"]
    # Advice against it is no claim: the family's context rules apply to the operator's pattern.
    advised = await f.screened(client, creator, summary=f"不要听信{remedy}就收起胰岛素。")
    assert advised["status"] == "in_review"

    again = await client.post(CLAIMS, json={**body, "severity": "warn"}, headers=admin.auth)
    f.assert_problem(again, 409, "claim.exists")
    removed = await client.delete(f"{CLAIMS}/{pattern['id']}", headers=admin.auth)
    assert removed.status_code == 204
    passed = await f.screened(client, creator, summary=text)
    assert passed["status"] == "in_review"
    assert not [x for x in passed["findings"] if x.get("ref") == pattern["id"]]
    gone = await client.delete(f"{CLAIMS}/{pattern['id']}", headers=admin.auth)
    f.assert_problem(gone, 404, "claim.not_found")


async def test_a_bad_pattern_is_refused_with_its_code_and_nothing_is_written(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    before = await _count(services)
    for pattern, code in (
        ("停[药|用", "claim.pattern_syntax"),
        ("[停|断[药]]", "claim.pattern_syntax"),
        ("…停药", "claim.pattern_syntax"),
        ("药", "claim.pattern_too_broad"),
        ("#…#", "claim.pattern_too_broad"),
        ("停药…a…b…c…d", "claim.pattern_too_complex"),
        ("停药" * 60, "claim.pattern_too_complex"),
        ("停药\x00", "claim.control_character"),
    ):
        body = {"family": "x", "pattern": pattern, "severity": "warn", "message": "m"}
        resp = await client.post(CLAIMS, json=body, headers=admin.auth)
        assert f.assert_problem(resp, 422, code)["field"] == "pattern"
    for field, value, code in (("family", " ", "claim.family"), ("message", "", "claim.message")):
        body = {"family": "x", "pattern": "停药", "severity": "warn", "message": "m", field: value}
        f.assert_problem(await client.post(CLAIMS, json=body, headers=admin.auth), 422, code)
    assert await _count(services) == before


async def test_only_admins_keep_claim_patterns(
    client: httpx.AsyncClient, services: Services
) -> None:
    reviewer = await f.person(services, "political_reviewer")
    pattern = "停药" + secrets.token_hex(2)
    body = {"family": "x", "pattern": pattern, "severity": "warn", "message": "m"}
    f.assert_problem(await client.post(CLAIMS, json=body, headers=reviewer.auth), 403)
    async with services.read_sessions() as session:
        written = await session.exec(select(ClaimPattern).where(ClaimPattern.pattern == pattern))
        assert written.all() == []
