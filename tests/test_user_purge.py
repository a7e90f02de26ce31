"""`kepu user purge`: one person's data erased on request, end to end on the suite's PostgreSQL,
Redis and API — what they published leaves the feed, detail and search, what they did to others'
content goes with the counters it moved, others' data stays, and the account stops working."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import httpx
import sqlalchemy as sa
from click.testing import Result
from sqlmodel import col, select
from typer.testing import CliRunner

from api.cli import app as kepu
from content import accounts, engagement
from content.models import (
    Comment,
    CommentLike,
    CommentStatus,
    ContentStats,
    ContentStatus,
    ContentViewer,
    Erasure,
    Follow,
    Notification,
    Reaction,
    Report,
    Revision,
    Share,
    User,
)
from content.models import Content as ContentRow
from infra.services import Services
from infra.settings import Settings, get_settings
from tests import factories as f
from tests.processes import kepu_env


async def purge(settings: Settings, *args: str, answer: str | None = None) -> Result:
    """`kepu user purge …` against the suite's services (in a thread: it runs its own loop)."""
    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(
            CliRunner().invoke, kepu, ["user", "purge", *args], input=answer, env=kepu_env(settings)
        )
    finally:
        get_settings.cache_clear()


@dataclass
class World:
    victim: f.Person
    other: f.Person
    theirs: str  # the victim's published article
    draft: str  # the victim's draft
    others: str  # the other creator's published article
    word: str  # a word only the victim's article holds
    their_comment: str
    reply: str  # the other creator's reply to the victim's comment


async def _world(client: httpx.AsyncClient, services: Services) -> World:
    word = f"purgeword{secrets.token_hex(4)}"
    mine, yours = await f.crew(services), await f.crew(services)
    victim, other = mine.creator, yours.creator
    theirs = await f.publish(client, mine, title=f"{word} 冬季流感", summary=f"{word} 摘要")
    draft = (await f.create(client, victim, title=f"{word} 草稿"))["id"]
    others = await f.publish(client, yours, title="别人的文章")
    for kind in ("like", "favorite", "share"):
        resp = await client.post(f"/api/v1/contents/{others}/{kind}", headers=victim.auth)
        assert resp.status_code in (200, 202), resp.text
    resp = await client.post(f"/api/v1/contents/{theirs}/like", headers=other.auth)
    assert resp.status_code == 200, resp.text
    their_comment = (await f.comment(client, victim, others, body="我的评论很私人"))["id"]
    reply = (await f.comment(client, other, others, "作者的回复", reply_to=their_comment))["id"]
    resp = await client.post(f"/api/v1/comments/{reply}/like", headers=victim.auth)
    assert resp.status_code == 200, resp.text
    for follower, creator in ((victim, other), (other, victim)):
        resp = await client.post(f"/api/v1/users/{creator.id}/follow", headers=follower.auth)
        assert resp.status_code == 200, resp.text
    resp = await client.post(
        "/api/v1/reports",
        json={"content_id": others, "reason": "other", "detail": "我的手机号 13800000000"},
        headers=victim.auth,
    )
    assert resp.status_code == 201, resp.text
    async with services.write_sessions() as session:
        # A finished read of the other article, as the counters' flush writes it, and a WeChat id.
        now = time.time()
        read = [{"k": "view", "c": others, "u": victim.id, "e": e, "p": p, "w": None, "t": t}
                for e, p, t in (("start", None, now - 600), ("progress", 1.0, now))]  # fmt: skip
        await engagement.apply_batch(session, None, read)
        await session.exec(
            sa.update(User).where(col(User.id) == victim.id).values(wechat_openid=f"o-{word}")
        )
        await session.commit()
    return World(victim, other, theirs, draft, others, word, their_comment, reply)


async def _stats(services: Services, content_id: str) -> ContentStats:
    async with services.write_sessions() as session:
        stats = await session.get(ContentStats, content_id)
        assert stats is not None
        return stats


async def _rows_of(services: Services, user_id: str) -> dict[str, int]:
    """How many rows of each personal kind still point at ``user_id``."""
    kinds = {
        "reactions": select(Reaction).where(Reaction.user_id == user_id),
        "shares": select(Share).where(Share.user_id == user_id),
        "views": select(ContentViewer).where(ContentViewer.user_id == user_id),
        "comment likes": select(CommentLike).where(CommentLike.user_id == user_id),
        "follows": select(Follow).where(
            sa.or_(col(Follow.follower_id) == user_id, col(Follow.creator_id) == user_id)
        ),
        "notifications": select(Notification).where(Notification.user_id == user_id),
    }
    async with services.write_sessions() as session:
        return {name: len((await session.exec(q)).all()) for name, q in kinds.items()}


async def test_a_purge_erases_the_person_and_corrects_what_they_added_to_others(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    w = await _world(client, services)
    before = await _stats(services, w.others)
    assert (before.likes, before.favorites, before.shares, before.comments) == (1, 1, 1, 2)
    assert (before.viewers, before.completions) == (1, 1)
    found = await client.get("/api/v1/search", params={"q": w.word})
    assert [c["id"] for c in found.json()["items"]] == [w.theirs]
    assert any((await _rows_of(services, w.victim.id)).values())
    told = (await client.get("/api/v1/me/notifications", headers=w.other.auth)).json()["items"]
    assert [n for n in told if "我的评论很私人" in n["text"]]

    done = await purge(settings, w.victim.username, "--yes")
    assert done.exit_code == 0, done.output
    assert f"erased user {w.victim.id}" in done.output
    assert "contents_ended: 2" in done.output and "reactions: 2" in done.output

    # Their tokens are refused, and no login reaches the account.
    assert (await client.get("/api/v1/me", headers=w.victim.auth)).status_code == 401
    login = await f.login(client, w.victim.username, f.PASSWORD)
    f.assert_problem(login, 401)
    # Their published article is gone from detail, the feed and search; the draft ended too.
    f.assert_problem(await f.get(client, None, w.theirs), 404, "content.not_found")
    feed = (await client.get("/api/v1/feed", params={"tab": "latest", "limit": 50})).json()
    assert w.theirs not in [c["id"] for c in feed["items"]]
    assert w.others in [c["id"] for c in feed["items"]]
    assert (await client.get("/api/v1/search", params={"q": w.word})).json()["items"] == []

    # Others' counters lose exactly what the person added; others' own data stays.
    after = await _stats(services, w.others)
    assert (after.likes, after.favorites, after.shares, after.comments) == (0, 0, 0, 1)
    assert (after.viewers, after.completions, after.views) == (0, 0, before.views - 1)
    thread = (await client.get(f"/api/v1/contents/{w.others}/comments")).json()["items"]
    assert [(c["id"], c["status"], c["body"], c["author"]) for c in thread] == [
        (w.their_comment, "deleted", "", None)
    ]
    [reply] = thread[0]["replies"]
    assert (reply["id"], reply["body"], reply["likes"]) == (w.reply, "作者的回复", 0)
    assert reply["author"]["id"] == w.other.id
    assert await _rows_of(services, w.victim.id) == dict.fromkeys(
        ("reactions", "shares", "views", "comment likes", "follows", "notifications"), 0
    )
    told = await client.get("/api/v1/me/notifications", headers=w.other.auth)
    assert told.status_code == 200 and told.json()["items"], told.text
    assert not [n for n in told.json()["items"] if "我的评论很私人" in n["text"]]

    # Nothing personal of theirs remains in their rows; an audit row says who and how much.
    async with services.write_sessions() as session:
        user = await session.get(User, w.victim.id)
        assert user is not None
        assert (user.username, user.password_hash, user.wechat_openid) == (None, None, None)
        assert (user.display_name, user.roles, user.is_active) == (accounts.ERASED_NAME, [], False)
        mine = select(Revision).join(ContentRow, col(ContentRow.id) == col(Revision.content_id))
        revisions = (await session.exec(mine.where(ContentRow.owner_id == w.victim.id))).all()
        assert revisions and all(
            (r.title, r.summary, r.body, r.references) == ("已删除", "", None, [])
            for r in revisions
        )
        statuses = await session.exec(
            select(ContentRow.status).where(ContentRow.owner_id == w.victim.id)
        )
        assert set(statuses.all()) == {ContentStatus.withdrawn}
        comment = await session.get(Comment, w.their_comment)
        assert comment is not None and (comment.body, comment.status) == ("", CommentStatus.deleted)
        report = (await session.exec(select(Report).where(Report.user_id == w.victim.id))).one()
        assert report.detail == ""
        [audit] = (await session.exec(select(Erasure).where(Erasure.user_id == w.victim.id))).all()
        assert audit.operator and audit.counts["comments"] == 1 and audit.counts["account"] == 1
        assert w.word not in str(audit.counts)


async def test_purging_twice_changes_nothing_more(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    w = await _world(client, services)
    assert (await purge(settings, w.victim.id, "--yes")).exit_code == 0
    first = await _stats(services, w.others)

    again = await purge(settings, w.victim.id, "--yes")
    assert again.exit_code == 0, again.output
    assert "contents_ended: 0" in again.output and "account: 0" in again.output
    second = await _stats(services, w.others)
    counters = ("likes", "favorites", "shares", "comments", "viewers", "completions", "views")
    assert [getattr(second, c) for c in counters] == [getattr(first, c) for c in counters]
    async with services.write_sessions() as session:
        query = select(Erasure).where(Erasure.user_id == w.victim.id)
        runs = (await session.exec(query.order_by(col(Erasure.created_at)))).all()
        assert len(runs) == 2 and any(runs[0].counts.values())
        assert not any(runs[1].counts.values()), runs[1].counts


async def test_an_unknown_user_exits_1_naming_it_and_erases_nothing(
    services: Services, settings: Settings
) -> None:
    done = await purge(settings, "nobody-by-this-name", "--yes")
    assert done.exit_code == 1
    assert "no user has the id or username 'nobody-by-this-name'" in done.output


async def test_without_yes_it_asks_and_a_no_leaves_everything(
    client: httpx.AsyncClient, services: Services, settings: Settings
) -> None:
    victim = await f.person(services, "creator")
    done = await purge(settings, victim.username, answer="n\n")
    assert done.exit_code == 1 and "cannot be undone" in done.output
    assert (await client.get("/api/v1/me", headers=victim.auth)).status_code == 200
