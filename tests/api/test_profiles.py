"""Profiles over HTTP, as the mini-program uses them: an avatar picked on the phone is uploaded
as an image and set with PUT /me (wx.request has no PATCH), then shows on /me, cards, details and
the creator's page; the lists a person keeps; creators' pages and who has none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from api import presenters
from content import engagement
from content.models import ReactionKind, User
from infra.services import Services
from tests import factories as f
from tests.helpers import statements
from tests.media_files import jpeg_with_orientation, png, text_file

ME = "/api/v1/me"


async def _put_me(
    client: httpx.AsyncClient, who: f.Person, method: str = "PUT", **body: Any
) -> httpx.Response:
    return await client.request(method, ME, json=body, headers=who.auth)


async def _avatar(client: httpx.AsyncClient, who: f.Person, data: bytes, ctype: str) -> str:
    media_id = await f.upload(client, who, data, ctype, "avatar.jpg")
    assert (await f.settled_media(client, who, media_id))["status"] == "ready"
    return media_id


async def test_a_phone_photo_becomes_my_avatar_everywhere_my_name_shows(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    crew = await f.crew(services)
    me = crew.creator
    photo = jpeg_with_orientation(tmp_path / "avatar.jpg", 320, 240, 6).read_bytes()
    media_id = await _avatar(client, me, photo, "image/jpeg")

    resp = await _put_me(client, me, avatar_media_id=media_id, display_name="科普小王")
    assert resp.status_code == 200, resp.text
    mine = resp.json()
    assert mine["display_name"] == "科普小王" and mine["avatar_url"]
    assert (await client.get(ME, headers=me.auth)).json()["avatar_url"]
    async with httpx.AsyncClient() as phone:  # the display copy: a JPEG with no EXIF left
        shown = await phone.get(mine["avatar_url"])
    assert shown.status_code == 200 and shown.content.startswith(b"\xff\xd8")
    assert b"Exif" not in shown.content

    content_id = await f.publish(client, crew)
    detail = (await f.get(client, None, content_id)).json()
    assert detail["author"]["display_name"] == "科普小王"
    assert detail["author"]["avatar_url"]
    page = (await client.get(f"/api/v1/users/{me.id}/contents")).json()
    assert [c["id"] for c in page["items"]] == [content_id]
    assert page["items"][0]["author"]["avatar_url"]
    profile = (await client.get(f"/api/v1/users/{me.id}")).json()
    assert profile["avatar_url"] and profile["published"] == 1 and profile["roles"] == ["creator"]

    # PATCH is the same update for clients that have it; null removes the avatar.
    resp = await _put_me(client, me, "PATCH", avatar_media_id=None)
    assert resp.status_code == 200 and resp.json()["avatar_url"] is None
    assert resp.json()["display_name"] == "科普小王"


async def test_a_50_mb_avatar_is_refused_before_any_byte_is_sent(
    client: httpx.AsyncClient, services: Services
) -> None:
    me = await f.person(services, "viewer", "creator")
    resp = await f.start_upload(client, me, 50 * 1024 * 1024, "image/jpeg", "avatar.jpg")
    f.assert_problem(resp, 413, "upload.too_large")


async def test_bytes_that_are_no_image_cannot_become_the_avatar(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    me = await f.person(services, "viewer", "creator")
    data = text_file(tmp_path / "avatar.png").read_bytes()
    media_id = await f.upload(client, me, data, "image/png", "avatar.png")
    body = f.assert_problem(await _put_me(client, me, avatar_media_id=media_id), 422)
    assert body["code"] == "avatar.failed" and body["field"] == "avatar_media_id"
    assert (await client.get(ME, headers=me.auth)).json()["avatar_url"] is None


async def test_someone_elses_image_cannot_become_my_avatar(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    owner, me = await f.person(services, "creator"), await f.person(services, "creator")
    media_id = await _avatar(client, owner, png(tmp_path / "a.png"), "image/png")
    resp = await _put_me(client, me, avatar_media_id=media_id)
    assert f.assert_problem(resp, 422, "avatar.not_found")["field"] == "avatar_media_id"


async def test_a_blocked_name_is_422_with_its_finding_and_the_name_stays(
    client: httpx.AsyncClient, services: Services
) -> None:
    me = await f.person(services, "viewer", "creator")
    body = f.assert_problem(await _put_me(client, me, display_name="法轮功学员"), 422)
    assert body["code"] == "profile.name_blocked" and body["field"] == "display_name"
    assert body["finding"]["severity"] == "block"
    invisible = f.assert_problem(await _put_me(client, me, display_name="\u200b\u200d"), 422)
    assert invisible["code"] == "invalid" and invisible["field"] == "display_name"
    unknown = f.assert_problem(await _put_me(client, me, nickname="x"), 422)
    assert unknown["field"] == "nickname"
    assert (await client.get(ME, headers=me.auth)).json()["display_name"] == me.username


async def test_staff_viewers_and_unknown_ids_have_no_page_and_look_alike(
    client: httpx.AsyncClient, services: Services
) -> None:
    staff = await f.person(services, "political_reviewer")
    viewer = await f.person(services, "viewer")
    answers = []
    for user_id in (staff.id, viewer.id, "0" * 26, "no-such-id"):
        for path in (f"/api/v1/users/{user_id}", f"/api/v1/users/{user_id}/contents"):
            body = f.assert_problem(await client.get(path, headers=viewer.auth), 404)
            answers.append((body["code"], body["detail"]))
    assert set(answers) == {("user.not_found", answers[0][1])}


async def test_a_creators_page_says_whether_i_follow_them(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator, fan = await f.person(services, "creator"), await f.person(services, "viewer")
    follow = await client.post(f"/api/v1/users/{creator.id}/follow", headers=fan.auth)
    assert follow.status_code == 200
    mine = (await client.get(f"/api/v1/users/{creator.id}", headers=fan.auth)).json()
    anyone = (await client.get(f"/api/v1/users/{creator.id}")).json()
    assert (mine["followers"], mine["following"], anyone["following"]) == (1, True, False)
    following = (await client.get(f"{ME}/following", headers=fan.auth)).json()
    assert [c["id"] for c in following["items"]] == [creator.id]
    assert following["items"][0]["followers"] == 1 and following["next_cursor"] is None


async def test_my_favourites_and_likes_page_with_cursors(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    me = await f.person(services, "viewer")
    first, second = [await f.publish(client, crew) for _ in range(2)]
    for content_id in (first, second):
        resp = await client.post(f"/api/v1/contents/{content_id}/favorite", headers=me.auth)
        assert resp.status_code == 200
    await client.post(f"/api/v1/contents/{second}/like", headers=me.auth)

    page = (await client.get(f"{ME}/favorites?limit=1", headers=me.auth)).json()
    assert [c["id"] for c in page["items"]] == [second] and page["next_cursor"]
    rest = await client.get(
        f"{ME}/favorites", params={"limit": 1, "cursor": page["next_cursor"]}, headers=me.auth
    )
    assert [c["id"] for c in rest.json()["items"]] == [first]
    assert rest.json()["next_cursor"] is None
    likes = (await client.get(f"{ME}/likes", headers=me.auth)).json()
    assert [c["id"] for c in likes["items"]] == [second]
    bad = await client.get(f"{ME}/likes?cursor=nonsense", headers=me.auth)
    assert f.assert_problem(bad, 422, "invalid")["field"] == "cursor"


@pytest.mark.parametrize("kind", [ReactionKind.favorite, ReactionKind.like])
async def test_a_page_of_my_list_costs_the_same_queries_whatever_its_length(
    client: httpx.AsyncClient, services: Services, kind: ReactionKind
) -> None:
    crew = await f.crew(services)
    me = await f.person(services, "viewer")
    for _ in range(3):
        content_id = await f.publish(client, crew)
        path = f"/api/v1/contents/{content_id}/{kind.value}"
        assert (await client.post(path, headers=me.auth)).status_code == 200

    async def count(limit: int) -> int:
        async with services.read_sessions() as session:
            user = await session.get(User, me.id)
            assert user is not None
            async with statements(session) as sent:
                cards, _ = await engagement.reacted(session, user, kind, None, limit)
                await presenters.cards(session, services, cards)
            assert len(cards) == limit
            return len(sent)

    # The page (cards, authors, counters) is one query; the links of its media and avatars,
    # when there are any, one more.
    one, three = await count(1), await count(3)
    assert one == three <= 2
