"""Disciplines are a list operators manage: anyone reads it, admins add and remove entries (not
one a content or a reviewer names), and a content's `discipline` must be on it."""

from __future__ import annotations

import secrets

import httpx
from sqlmodel import col, select

from content.models import Discipline, Revision
from infra.services import Services
from tests import factories as f

LIST = "/api/v1/disciplines"
ADMIN_LIST = "/api/v1/admin/disciplines"


async def _slugs(client: httpx.AsyncClient) -> list[str]:
    resp = await client.get(LIST)
    assert resp.status_code == 200, resp.text
    return [d["slug"] for d in resp.json()]


async def _added(client: httpx.AsyncClient, admin: f.Person, name: str = "测试学") -> str:
    slug = f"test-{secrets.token_hex(3)}"
    resp = await client.post(ADMIN_LIST, json={"slug": slug, "name": name}, headers=admin.auth)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"slug": slug, "name": name}
    return slug


async def test_anyone_reads_the_seeded_list_with_chinese_names(client: httpx.AsyncClient) -> None:
    resp = await client.get(LIST)
    assert resp.status_code == 200, resp.text
    names = {d["slug"]: d["name"] for d in resp.json()}
    assert names["medicine"] == "医学"
    assert names["physics"] == "物理学"
    assert {"chemistry", "biology", "ecology", "astronomy", "mathematics"} <= set(names)
    assert "astrology" not in names


async def test_a_content_with_a_discipline_not_on_the_list_is_422_and_not_written(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    resp = await client.post(
        "/api/v1/contents", json=f.article(discipline="astrology"), headers=creator.in_english
    )
    body = f.assert_problem(resp, 422, "discipline.unknown")
    assert body["field"] == "discipline"
    assert "astrology" in body["detail"]
    assert await f.my_content_ids(client, creator) == []


async def test_an_edit_to_a_discipline_not_on_the_list_is_422_and_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    content = await f.create(client, creator, discipline="Physics ")  # trimmed and lowercased
    assert content["discipline"] == "physics"
    resp = await client.patch(
        f"/api/v1/contents/{content['id']}", json={"discipline": "astrology"}, headers=creator.auth
    )
    assert f.assert_problem(resp, 422, "discipline.unknown")["field"] == "discipline"
    again = await f.get(client, creator, content["id"])
    assert again.json()["discipline"] == "physics"


async def test_an_admin_adds_a_discipline_which_then_files_content(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin, creator = await f.person(services, "admin"), await f.person(services, "creator")
    slug = await _added(client, admin, "海洋科学")
    assert (await _slugs(client))[-1] == slug  # added at the end of the list
    content = await f.create(client, creator, discipline=slug)
    assert content["discipline"] == slug

    again = await client.post(ADMIN_LIST, json={"slug": slug, "name": "另一个"}, headers=admin.auth)
    f.assert_problem(again, 409, "discipline.exists")
    async with services.read_sessions() as session:
        assert (await session.get(Discipline, slug)).name == "海洋科学"  # type: ignore[union-attr]


async def test_a_malformed_slug_or_blank_name_is_422_and_adds_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    before = await _slugs(client)
    for body, field in (
        ({"slug": "Astro Logy", "name": "占星"}, "slug"),
        ({"slug": "x", "name": "短"}, "slug"),
        ({"slug": f"ok-{secrets.token_hex(3)}", "name": "  "}, "name"),
    ):
        resp = await client.post(ADMIN_LIST, json=body, headers=admin.auth)
        assert f.assert_problem(resp, 422)["field"] == field
    assert await _slugs(client) == before


async def test_an_unused_discipline_is_removed(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    slug = await _added(client, admin)
    resp = await client.delete(f"{ADMIN_LIST}/{slug}", headers=admin.auth)
    assert resp.status_code == 204, resp.text
    assert slug not in await _slugs(client)
    gone = await client.delete(f"{ADMIN_LIST}/{slug}", headers=admin.auth)
    f.assert_problem(gone, 404, "discipline.not_found")


async def test_a_discipline_a_content_or_a_reviewer_names_cannot_be_removed(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin, creator = await f.person(services, "admin"), await f.person(services, "creator")
    filed, judged = await _added(client, admin), await _added(client, admin)
    await f.create(client, creator, discipline=filed)  # a draft is enough
    await f.person(services, "science_reviewer", disciplines=("medicine", judged))

    for slug in (filed, judged):
        resp = await client.delete(f"{ADMIN_LIST}/{slug}", headers=admin.auth)
        f.assert_problem(resp, 409, "discipline.in_use")
        assert slug in await _slugs(client)
    async with services.read_sessions() as session:
        used = select(Revision.id).where(col(Revision.discipline) == filed)
        assert (await session.exec(used)).first() is not None
