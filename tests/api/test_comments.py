"""Comments: threads one level deep, screening in the request, who sees and deletes what, the
owner's switch, exact counts under races, limits, and pages cached with an ETag."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlmodel import func, select

from content import engagement
from content.feeds import FeedKeys
from content.models import Comment, CommentStatus
from infra.services import Services
from tests import factories as f
from tests.helpers import refused

API = "/api/v1"


def _comments(content_id: str) -> str:
    return f"{API}/contents/{content_id}/comments"


async def _rows(services: Services, content_id: str) -> int:
    async with services.read_sessions() as session:
        query = select(func.count()).select_from(Comment).where(Comment.content_id == content_id)
        return int((await session.exec(query)).one())


async def _page(
    client: httpx.AsyncClient, content_id: str, who: f.Person | None = None, **params: Any
) -> dict[str, Any]:
    resp = await client.get(_comments(content_id), params=params, headers=who.auth if who else {})
    assert resp.status_code == 200, resp.text
    page: dict[str, Any] = resp.json()
    return page


async def _stats_comments(client: httpx.AsyncClient, content_id: str) -> int:
    detail = (await f.get(client, None, content_id)).json()
    return int(detail["stats"]["comments"])


async def test_a_thread_is_one_level_deep_and_counted_on_the_card(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    ann, bo = await f.person(services, "viewer"), await f.person(services, "viewer")
    top = await f.comment(client, ann, content_id, "流感疫苗每年都要打吗？")
    assert top["status"] == "visible" and top["author"]["id"] == ann.id
    reply = await f.comment(client, bo, content_id, "是的，毒株每年变化", reply_to=top["id"])
    # A reply to a reply joins the top-level thread, remembering whom it answers.
    answer = await f.comment(client, ann, content_id, "明白了，谢谢", reply_to=reply["id"])
    assert answer["reply_to"] == reply["id"]
    more = [await f.comment(client, bo, content_id, f"补充第{i}点", top["id"]) for i in range(3)]
    later = await f.comment(client, bo, content_id, "另一个问题")

    page = await _page(client, content_id)
    assert [c["id"] for c in page["items"]] == [later["id"], top["id"]]  # newest first
    thread = page["items"][1]
    assert thread["replies_count"] == 5
    # The first replies, oldest first; the rest from the replies route after the last one held.
    shown = [r["id"] for r in thread["replies"]]
    assert shown == [reply["id"], answer["id"], more[0]["id"]]
    assert page["enabled"] is True and page["next_cursor"] is None
    assert all(c["liked"] is None for c in page["items"])  # nobody signed in
    rest = await client.get(
        f"{_comments(content_id)}/{top['id']}/replies", params={"cursor": shown[-1], "limit": 1}
    )
    assert [r["id"] for r in rest.json()["items"]] == [more[1]["id"]]
    last = await client.get(
        f"{_comments(content_id)}/{top['id']}/replies",
        params={"cursor": rest.json()["next_cursor"]},
    )
    assert [r["id"] for r in last.json()["items"]] == [more[2]["id"]]
    assert last.json()["next_cursor"] is None
    # Every visible comment counts, replies too, on the detail and the feed's card.
    assert await _stats_comments(client, content_id) == 7
    feed = (await client.get(f"{API}/feed", params={"limit": 50})).json()
    card = next(c for c in feed["items"] if c["id"] == content_id)
    assert card["stats"]["comments"] == 7


async def test_comments_by_likes_and_each_readers_likes(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fans = [await f.person(services, "viewer") for _ in range(3)]
    first, second, third = [await f.comment(client, fans[0], content_id, t) for t in "甲乙丙"]
    for fan in fans:  # second gets three likes, first one; liking twice counts once
        for _ in range(2):
            resp = await client.post(f"{API}/comments/{second['id']}/like", headers=fan.auth)
            assert resp.status_code == 200, resp.text
    assert resp.json() == {"comment_id": second["id"], "likes": 3, "liked": True}
    await client.post(f"{API}/comments/{first['id']}/like", headers=fans[1].auth)
    page = await _page(client, content_id, order="likes", limit=2)
    assert [c["id"] for c in page["items"]] == [second["id"], first["id"]]
    rest = await _page(client, content_id, order="likes", cursor=page["next_cursor"])
    assert [c["id"] for c in rest["items"]] == [third["id"]]
    mine = await _page(client, content_id, fans[1], order="likes")
    assert [c["liked"] for c in mine["items"]] == [True, True, False]
    unliked = await client.delete(f"{API}/comments/{second['id']}/like", headers=fans[1].auth)
    assert unliked.json() == {"comment_id": second["id"], "likes": 2, "liked": False}
    bad = await client.get(_comments(content_id), params={"order": "likes", "cursor": "zz"})
    assert f.assert_problem(bad, 422, "invalid")["field"] == "cursor"


async def test_screening_refuses_a_blocked_comment_and_holds_a_warned_one(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    writer, other = await f.person(services, "viewer"), await f.person(services, "viewer")
    resp = await client.post(_comments(content_id), json={"body": "法轮功好"}, headers=writer.auth)
    body = f.assert_problem(resp, 422, "comment.blocked")
    assert body["finding"]["severity"] == "block" and body["finding"]["excerpt"] == "法轮功"
    assert await _rows(services, content_id) == 0  # nothing written

    held = await f.comment(client, writer, content_id, f.HELD_COMMENT)
    assert held["status"] == "held"
    # Its author sees it, marked held; nobody else does, and it is not counted.
    assert [c["id"] for c in (await _page(client, content_id, writer))["items"]] == [held["id"]]
    assert (await _page(client, content_id, writer))["items"][0]["status"] == "held"
    assert (await _page(client, content_id, other))["items"] == []
    assert (await _page(client, content_id))["items"] == []
    assert await _stats_comments(client, content_id) == 0
    liked = await client.post(f"{API}/comments/{held['id']}/like", headers=other.auth)
    f.assert_problem(liked, 404, "comment.not_found")

    # Operators: the queue, oldest first, with the findings that held each.
    second = await f.comment(client, other, content_id, "吃了就能根治癌症")
    queue = await client.get(f"{API}/admin/comments", headers=crew.admin.auth)
    ids = [c["id"] for c in queue.json()["items"]]
    assert ids.index(held["id"]) < ids.index(second["id"])
    entry = next(c for c in queue.json()["items"] if c["id"] == held["id"])
    assert entry["findings"][0]["check"] == "health_claim"
    approve = f"{API}/admin/comments/{held['id']}/approve"
    assert (await client.post(approve, headers=crew.admin.auth)).status_code == 200
    assert [c["id"] for c in (await _page(client, content_id))["items"]] == [held["id"]]
    assert await _stats_comments(client, content_id) == 1
    f.assert_problem(await client.post(approve, headers=crew.admin.auth), 409, "comment.not_held")

    remove = f"{API}/admin/comments/{second['id']}/remove"
    no_reason = await client.post(remove, json={}, headers=crew.admin.auth)
    assert f.assert_problem(no_reason, 422, "invalid")["field"] == "reason"
    removed = await client.post(remove, json={"reason": "虚假疗效"}, headers=crew.admin.auth)
    assert removed.json()["status"] == "removed"
    assert [c["id"] for c in (await _page(client, content_id, other))["items"]] == [held["id"]]
    assert await _stats_comments(client, content_id) == 1


async def test_who_may_delete_and_a_deleted_comment_keeps_its_thread(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    writer, stranger = await f.person(services, "viewer"), await f.person(services, "viewer")
    top = await f.comment(client, writer, content_id, "第一条")
    reply = await f.comment(client, stranger, content_id, "回复", reply_to=top["id"])
    alone = await f.comment(client, writer, content_id, "第二条")
    owners = await f.comment(client, stranger, content_id, "第三条")

    def path(c: dict[str, Any]) -> str:
        return f"{_comments(content_id)}/{c['id']}"

    refused = await client.delete(path(top), headers=stranger.auth)
    f.assert_problem(refused, 403, "comment.forbidden")
    assert (await client.delete(path(top), headers=writer.auth)).status_code == 204
    assert (await client.delete(path(owners), headers=crew.creator.auth)).status_code == 204
    assert (await client.delete(path(alone), headers=crew.admin.auth)).status_code == 204
    assert (await client.delete(path(alone), headers=writer.auth)).status_code == 204  # again
    gone = await client.delete(path(alone), headers=stranger.auth)
    f.assert_problem(gone, 404, "comment.not_found")

    items = (await _page(client, content_id))["items"]
    # The deleted one with a reply stays as a placeholder; the others are gone.
    assert [c["id"] for c in items] == [top["id"]]
    assert items[0]["status"] == "deleted" and items[0]["body"] == "" and items[0]["author"] is None
    assert [r["id"] for r in items[0]["replies"]] == [reply["id"]]
    assert await _stats_comments(client, content_id) == 1
    # Its last reply deleted, the placeholder goes too.
    assert (await client.delete(path(reply), headers=stranger.auth)).status_code == 204
    assert (await _page(client, content_id))["items"] == []
    assert await _stats_comments(client, content_id) == 0


async def test_the_owner_turns_comments_off_and_what_exists_stays_readable(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    kept = await f.comment(client, fan, content_id)
    settings = f"{_comments(content_id)}/settings"
    refused = await client.put(settings, json={"enabled": False}, headers=fan.auth)
    f.assert_problem(refused, 404, "content.not_found")
    off = await client.put(settings, json={"enabled": False}, headers=crew.creator.auth)
    assert off.json() == {"content_id": content_id, "enabled": False}
    closed = await client.post(_comments(content_id), json={"body": "还能评论吗"}, headers=fan.auth)
    f.assert_problem(closed, 409, "comment.closed")
    page = await _page(client, content_id)
    assert page["enabled"] is False and [c["id"] for c in page["items"]] == [kept["id"]]
    await client.put(settings, json={"enabled": True}, headers=crew.creator.auth)
    assert (await f.comment(client, fan, content_id))["status"] == "visible"


async def test_no_comments_on_drafts_taken_down_or_unknown_content(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    fan = await f.person(services, "viewer")
    draft = (await f.create(client, crew.creator))["id"]
    content_id = await f.publish(client, crew)
    await f.comment(client, fan, content_id)
    assert (await f.takedown(client, crew.admin, content_id)).status_code == 200
    for target in (draft, content_id, "01" + "0" * 24):
        for who in (None, fan, crew.creator):
            resp = await client.get(_comments(target), headers=who.auth if who else {})
            f.assert_problem(resp, 404, "content.not_found")
        posted = await client.post(_comments(target), json={"body": "你好"}, headers=fan.auth)
        f.assert_problem(posted, 404, "content.not_found")


async def test_empty_invisible_or_too_long_bodies_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    for body in ("", "   ", "\u200b\u200d\u2063", "字" * (engagement.COMMENT_CHARS + 1), "a\x00b"):
        resp = await client.post(_comments(content_id), json={"body": body}, headers=fan.auth)
        assert f.assert_problem(resp, 422)["field"] == "body", body
    unknown = await client.post(
        _comments(content_id), json={"body": "好", "reply_to": "x" * 26}, headers=fan.auth
    )
    f.assert_problem(unknown, 404, "comment.not_found")
    assert await _rows(services, content_id) == 0
    assert (await f.comment(client, fan, content_id, "字" * engagement.COMMENT_CHARS))["body"]


async def test_comments_are_limited_per_user_in_a_burst_and_a_day(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    for i in range(services.settings.comments_per_minute):
        await f.comment(client, fan, content_id, f"第{i}条")
    resp = await client.post(_comments(content_id), json={"body": "再来"}, headers=fan.auth)
    f.assert_problem(resp, 429, "comment.rate_limited")
    assert int(resp.headers["retry-after"]) > 0
    assert await _rows(services, content_id) == services.settings.comments_per_minute
    # The daily cap counts on its own: a generous burst does not lift it.
    keys = FeedKeys(services.settings.redis_prefix)
    other = await f.person(services, "viewer")
    for _ in range(3):
        await engagement.check_comment_rate(services.redis, keys, other.id, 100, 3)
    capped = await refused(
        "comment.rate_limited",
        engagement.check_comment_rate(services.redis, keys, other.id, 100, 3),
    )
    assert getattr(capped, "retry_after", 0) > 60  # the day's window, not the minute's


async def test_counts_stay_exact_when_comments_are_posted_and_deleted_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fans = [await f.person(services, "viewer") for _ in range(6)]
    start = asyncio.Event()

    async def post(who: f.Person) -> httpx.Response:
        await start.wait()  # a barrier: every request leaves together
        return await client.post(_comments(content_id), json={"body": "赞"}, headers=who.auth)

    tasks = [asyncio.create_task(post(fan)) for fan in fans for _ in range(2)]
    await asyncio.sleep(0.05)
    start.set()
    posted = [r.json() for r in await asyncio.gather(*tasks)]
    assert await _stats_comments(client, content_id) == len(posted) == 12

    # The author, the owner and an operator delete each comment at the same moment: it is
    # taken off the count once.
    gate = asyncio.Event()

    async def delete(comment: dict[str, Any], who: f.Person) -> httpx.Response:
        await gate.wait()
        url = f"{_comments(content_id)}/{comment['id']}"
        return await client.delete(url, headers=who.auth)

    authors = {fan.id: fan for fan in fans}
    deletions = [
        asyncio.create_task(delete(c, who))
        for c in posted[:6]
        for who in (authors[c["author"]["id"]], crew.creator, crew.admin)
    ]
    await asyncio.sleep(0.05)
    gate.set()
    assert {r.status_code for r in await asyncio.gather(*deletions)} == {204}
    assert await _stats_comments(client, content_id) == 6
    async with services.read_sessions() as session:
        visible = select(func.count()).select_from(Comment)
        visible = visible.where(
            Comment.content_id == content_id, Comment.status == CommentStatus.visible
        )
        assert (await session.exec(visible)).one() == 6


async def test_comment_pages_carry_an_etag_and_a_new_comment_shows_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    await f.comment(client, fan, content_id, "第一条")
    first = await client.get(_comments(content_id))
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    same = await client.get(_comments(content_id), headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    # A new comment empties the content's cached pages (well within their life).
    posted = await f.comment(client, fan, content_id, "第二条")
    changed = await client.get(_comments(content_id), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["items"][0]["id"] == posted["id"]
    # A signed-in reader's page is theirs: private, with their likes.
    mine = await client.get(_comments(content_id), headers=fan.auth)
    assert mine.headers["cache-control"] == "private, no-cache"
    again = await client.get(
        _comments(content_id), headers={**fan.auth, "If-None-Match": mine.headers["etag"]}
    )
    assert again.status_code == 304
    # A deletion too.
    url = f"{_comments(content_id)}/{posted['id']}"
    assert (await client.delete(url, headers=fan.auth)).status_code == 204
    assert posted["id"] not in [c["id"] for c in (await _page(client, content_id))["items"]]


async def test_two_operators_deciding_one_held_comment_at_once_count_it_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    other_admin = await f.person(services, "admin")
    held = [await f.comment(client, fan, content_id, f.HELD_COMMENT) for _ in range(4)]
    gate = asyncio.Event()

    async def approve(comment: dict[str, Any], who: f.Person) -> httpx.Response:
        await gate.wait()
        url = f"{API}/admin/comments/{comment['id']}/approve"
        return await client.post(url, headers=who.auth)

    tasks = [
        asyncio.create_task(approve(c, who)) for c in held for who in (crew.admin, other_admin)
    ]
    await asyncio.sleep(0.05)
    gate.set()
    answers = await asyncio.gather(*tasks)
    for first, second in zip(answers[::2], answers[1::2], strict=True):
        assert sorted((first.status_code, second.status_code)) == [200, 409]
        loser = first if first.status_code == 409 else second
        f.assert_problem(loser, 409, "comment.not_held")
    assert await _stats_comments(client, content_id) == len(held)


async def test_the_owner_hears_of_a_comment_and_the_author_of_a_reply_once_it_shows(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    owner, ann, bo = (
        crew.creator,
        await f.person(services, "viewer"),
        await f.person(services, "viewer"),
    )

    async def told(who: f.Person) -> list[dict[str, Any]]:
        resp = await client.get(f"{API}/me/notifications", headers=who.auth)
        assert resp.status_code == 200, resp.text
        return [n for n in resp.json()["items"] if n["kind"] in ("comment", "reply")]

    top = await f.comment(client, ann, content_id, "流感疫苗每年都要打吗？")
    [news] = await told(owner)
    assert news["kind"] == "comment" and news["content_id"] == content_id
    assert "评论了你的" in news["text"] and "流感疫苗" in news["text"]
    await f.comment(client, bo, content_id, "是的，毒株每年变化", reply_to=top["id"])
    [reply] = await told(ann)
    assert reply["kind"] == "reply" and "回复了你" in reply["text"]
    assert len(await told(owner)) == 2  # the reply is a comment on the owner's content too
    # Nobody hears of their own words; the owner replied to is told once, as a reply.
    await f.comment(client, ann, content_id, "谢谢", reply_to=top["id"])
    assert len(await told(ann)) == 1
    welcome = await f.comment(client, owner, content_id, "欢迎提问", reply_to=top["id"])
    assert len(await told(owner)) == 3  # ann's 谢谢; not the owner's own
    # A held comment tells nobody until an operator lets it show.
    held = await f.comment(client, bo, content_id, f.HELD_COMMENT)
    assert len(await told(owner)) == 3
    approve = f"{API}/admin/comments/{held['id']}/approve"
    assert (await client.post(approve, headers=crew.admin.auth)).status_code == 200
    assert len(await told(owner)) == 4
    # A reply to the owner's own comment tells them once, as a reply.
    await f.comment(client, bo, content_id, "好的", reply_to=welcome["id"])
    owners = await told(owner)
    assert len(owners) == 5 and owners[0]["kind"] == "reply"
