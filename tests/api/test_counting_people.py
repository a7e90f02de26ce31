"""Engagement counts people, not requests: a burst from one account moves views, viewers,
completions, shares and the hot score as one person; one view each from many accounts moves
them as many. Completion is what the server saw: a video's by the time since its play started
and its media's probed length, an article's by its reading progress and the time since opening."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import col, func, select

from content import engagement, feeds
from content.engagement import views
from content.models import (
    Content,
    ContentStats,
    ContentViewer,
    FlushedBatch,
    Media,
    MediaKind,
    MediaStatus,
    Share,
)
from infra.services import Services
from tests import factories as f
from tests.helpers import eventually
from workers.feeds import flush_counters

API = "/api/v1"
LONG_BODY = "## 预防要点\n\n" + "研究表明，接种流感疫苗可以降低重症风险。" * 150  # 3 000 characters


class Clock:
    """The server's clock for view events, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.t = views.now()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(views, "now", fake)
    yield fake


@pytest.fixture
async def http(app: FastAPI) -> Any:
    """A client of its own address, so these bursts never meet the shared per-address limit."""
    async with f.from_address(app, f.random_address()) as c:
        yield c


async def _stats(services: Services, content_id: str) -> ContentStats:
    async with services.read_sessions() as session:
        stats = await session.get(ContentStats, content_id)
        assert stats is not None, "nothing was counted"
        return stats


async def _hot_expected(services: Services, content_id: str, **counts: int) -> float:
    """The hot score a content has with ``counts`` and nothing else."""
    async with services.read_sessions() as session:
        content = await session.get(Content, content_id)
    assert content is not None and content.published_at is not None
    return feeds.hot_score(ContentStats(content_id=content_id, **counts), content.published_at)


async def _hot_in_redis(services: Services, content_id: str) -> float | None:
    keys = feeds.FeedKeys(services.settings.redis_prefix)
    score = await services.redis.zscore(keys.feed(feeds.Tab.hot, "all"), content_id)
    return None if score is None else float(score)


async def _view(
    http: httpx.AsyncClient, who: f.Person, content_id: str, **body: Any
) -> httpx.Response:
    return await http.post(f"{API}/contents/{content_id}/views", json=body, headers=who.auth)


async def _at_once(*requests: Any) -> list[httpx.Response]:
    """Send every request together, behind a barrier (a burst, not a sequence)."""
    start = asyncio.Event()

    async def one(request: Any) -> httpx.Response:
        await start.wait()
        response: httpx.Response = await request
        return response

    tasks = [asyncio.create_task(one(r)) for r in requests]
    await asyncio.sleep(0)  # every task is parked at the barrier
    start.set()
    return await asyncio.gather(*tasks)


async def _published_video(
    client: httpx.AsyncClient, services: Services, crew: f.Crew, duration_s: float
) -> str:
    """A published video whose media the worker probed at ``duration_s`` seconds."""
    async with services.write_sessions() as session:
        media = Media(
            owner_id=crew.creator.id,
            kind=MediaKind.video,
            status=MediaStatus.ready,
            object_key=f"uploads/{crew.creator.id}/{secrets.token_hex(8)}/original",
            content_type="video/mp4",
            size=1000,
            width=1280,
            height=720,
            duration_s=duration_s,
        )
        session.add(media)
        await session.commit()
        media_id = media.id
    return await f.publish(client, crew, type="video", media_id=media_id, body=None)


async def test_a_burst_of_views_from_one_account_counts_one_person_many_accounts_many(
    client: httpx.AsyncClient, http: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    burst_id = await f.publish(client, crew)
    many_id = await f.publish(client, crew)
    one = await f.person(services, "viewer")
    many = [await f.person(services, "viewer") for _ in range(8)]
    # One account, forty events at once: starts, finished readings, an older client's report.
    bodies: list[dict[str, Any]] = [
        {"event": "start"},
        {"progress": 1.0},
        {"watched_s": 60, "duration_s": 60},
        {"event": "progress", "progress": 1.0, "watched_s": 600},
    ] * 10
    answers = await _at_once(*(_view(http, one, burst_id, **b) for b in bodies))
    assert [r.status_code for r in answers] == [202] * len(bodies), answers[0].text
    for who in many:
        assert (await _view(http, who, many_id, progress=0.2)).status_code == 202
    await flush_counters(services)

    burst, spread = await _stats(services, burst_id), await _stats(services, many_id)
    assert (burst.views, burst.viewers, burst.completions) == (1, 1, 0)
    assert (spread.views, spread.viewers, spread.completions) == (8, 8, 0)
    # The hot score moved once for the burst, eight times for the eight.
    assert burst.hot_score == await _hot_expected(services, burst_id, views=1, viewers=1)
    assert spread.hot_score == await _hot_expected(services, many_id, views=8, viewers=8)
    assert spread.hot_score > burst.hot_score > await _hot_expected(services, burst_id)
    assert await _hot_in_redis(services, burst_id) == burst.hot_score
    assert await _hot_in_redis(services, many_id) == spread.hot_score
    async with services.read_sessions() as session:
        rows = (
            await session.exec(select(ContentViewer).where(ContentViewer.content_id == burst_id))
        ).all()
    assert [(r.user_id, r.views, r.completed) for r in rows] == [(one.id, 1, False)]
    # What a card shows is the same people count.
    detail = (await f.get(client, None, burst_id)).json()
    assert detail["stats"]["views"] == 1


async def test_shares_count_once_per_person_however_many_requests(
    client: httpx.AsyncClient, http: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    burst_id = await f.publish(client, crew)
    many_id = await f.publish(client, crew)
    one = await f.person(services, "viewer")
    many = [await f.person(services, "viewer") for _ in range(5)]

    def share(who: f.Person, content_id: str) -> Any:
        return http.post(f"{API}/contents/{content_id}/share", headers=who.auth)

    answers = await _at_once(*(share(one, burst_id) for _ in range(12)))
    assert [r.status_code for r in answers] == [202] * 12, answers[0].text
    assert all(r.json() == {"content_id": burst_id, "accepted": True} for r in answers)
    for who in many:
        assert (await share(who, many_id)).status_code == 202
    # Shares are rows: counted when the call returns, without waiting for a flush.
    burst, spread = await _stats(services, burst_id), await _stats(services, many_id)
    assert (burst.shares, spread.shares) == (1, 5)
    async with services.read_sessions() as session:
        rows = (
            await session.exec(
                select(Share.content_id, func.count())
                .where(col(Share.content_id).in_([burst_id, many_id]))
                .group_by(col(Share.content_id))
            )
        ).all()
    assert dict(rows) == {burst_id: 1, many_id: 5}
    assert burst.hot_score == await _hot_expected(services, burst_id, shares=1)
    assert spread.hot_score == await _hot_expected(services, many_id, shares=5)
    assert await _hot_in_redis(services, burst_id) == burst.hot_score
    # Sharing again later is still the same person.
    assert (await share(one, burst_id)).status_code == 202
    assert (await _stats(services, burst_id)).shares == 1
    detail = (await f.get(client, None, burst_id)).json()
    assert detail["stats"]["shares"] == 1


async def test_a_video_is_complete_only_as_far_as_the_server_saw_it_play(
    client: httpx.AsyncClient, http: httpx.AsyncClient, services: Services, clock: Clock
) -> None:
    crew = await f.crew(services)
    video_id = await _published_video(client, services, crew, duration_s=120)
    liar, impatient = await f.person(services, "viewer"), await f.person(services, "viewer")
    honest = [await f.person(services, "viewer") for _ in range(3)]
    # Past the media's real end is refused, whatever length the client claims.
    for body in ({"watched_s": 200, "duration_s": 200}, {"watched_s": 200}):
        f.assert_problem(await _view(http, liar, video_id, **body), 422, "view.invalid_progress")
    # A burst claiming the end (and a length of its own) completes nothing.
    lies = [{"event": "start"}, {"watched_s": 10, "duration_s": 10}, {"watched_s": 120}] * 5
    answers = await _at_once(*(_view(http, liar, video_id, **b) for b in lies))
    assert [r.status_code for r in answers] == [202] * len(lies)
    for who in [*honest, impatient]:
        assert (await _view(http, who, video_id, event="start")).status_code == 202
    clock.advance(20)
    # Twenty seconds after starting, at most forty-one seconds of video can have played.
    assert (await _view(http, impatient, video_id, watched_s=115)).status_code == 202
    clock.advance(40)
    for who in honest:
        assert (await _view(http, who, video_id, watched_s=115)).status_code == 202
    # An older client's own duration is not believed: 10 of 10 s is 10 s of a 120 s video.
    assert (await _view(http, liar, video_id, watched_s=10, duration_s=10)).status_code == 202
    await flush_counters(services)

    stats = await _stats(services, video_id)
    assert (stats.views, stats.viewers, stats.completions) == (5, 5, 3)
    async with services.read_sessions() as session:
        rows = (
            await session.exec(select(ContentViewer).where(ContentViewer.content_id == video_id))
        ).all()
    by_user = {r.user_id: r for r in rows}
    assert not by_user[liar.id].completed and by_user[liar.id].watched_s <= 10
    assert not by_user[impatient.id].completed and by_user[impatient.id].watched_s == 41
    assert all(by_user[p.id].completed and by_user[p.id].watched_s == 115 for p in honest)
    assert stats.hot_score == await _hot_expected(
        services, video_id, views=5, viewers=5, completions=3
    )


async def test_an_article_is_complete_only_when_its_reading_progress_is_plausible(
    client: httpx.AsyncClient, http: httpx.AsyncClient, services: Services, clock: Clock
) -> None:
    crew = await f.crew(services)
    article_id = await f.publish(client, crew, body=LONG_BODY)  # 100 s for the fastest reader
    skimmer, rusher = await f.person(services, "viewer"), await f.person(services, "viewer")
    readers = [await f.person(services, "viewer") for _ in range(3)]
    for body in ({"progress": 1.5}, {"progress": -0.1}, {}, {"event": "progress"}):
        f.assert_problem(
            await _view(http, skimmer, article_id, **body), 422, "view.invalid_progress"
        )
    # 100 % within a second of opening, forty times over: not a reading.
    burst = [{"event": "start"}, {"progress": 1.0}] * 20
    answers = await _at_once(*(_view(http, rusher, article_id, **b) for b in burst))
    assert [r.status_code for r in answers] == [202] * len(burst)
    for who in [skimmer, *readers]:
        assert (await _view(http, who, article_id, event="start")).status_code == 202
    clock.advance(40)
    assert (await _view(http, skimmer, article_id, progress=1.0)).status_code == 202
    clock.advance(60)
    for who in readers:
        assert (await _view(http, who, article_id, progress=1.0)).status_code == 202
    await flush_counters(services)

    stats = await _stats(services, article_id)
    assert (stats.views, stats.viewers, stats.completions) == (5, 5, 3)
    async with services.read_sessions() as session:
        rows = (
            await session.exec(select(ContentViewer).where(ContentViewer.content_id == article_id))
        ).all()
    by_user = {r.user_id: r for r in rows}
    assert by_user[rusher.id].progress < 0.05 and not by_user[rusher.id].completed
    fastest_s = len(LONG_BODY) / views.READING_CHARS_PER_S
    assert by_user[skimmer.id].progress == pytest.approx((40 + views.GRACE_S) / fastest_s)
    assert not by_user[skimmer.id].completed
    assert all(by_user[p.id].completed for p in readers)
    # The skimmer who keeps reading finishes later, once.
    clock.advance(60)
    assert (await _view(http, skimmer, article_id, progress=1.0)).status_code == 202
    await flush_counters(services)
    after = await _stats(services, article_id)
    assert (after.views, after.viewers, after.completions) == (5, 5, 4)


async def test_an_article_view_counts_by_reading_progress_whatever_the_seconds_say(
    client: httpx.AsyncClient, http: httpx.AsyncClient, services: Services, clock: Clock
) -> None:
    """An article has no length: a client's `{watched_s: 0, duration_s: 0}` on opening is a
    view, and its reading progress alone (no seconds) takes it to a completion."""
    crew = await f.crew(services)
    article_id = await f.publish(client, crew)  # a short article: 5 s to read it through
    opener, reader = await f.person(services, "viewer"), await f.person(services, "viewer")
    for body in ({"watched_s": 0, "duration_s": 0}, {"watched_s": 0, "progress": 0}):
        assert (await _view(http, opener, article_id, **body)).status_code == 202
    assert (await _view(http, reader, article_id, progress=0)).status_code == 202
    clock.advance(3)
    assert (await _view(http, reader, article_id, progress=0.5)).status_code == 202
    # Seconds on the page, however many, never finish an article: only progress does.
    assert (await _view(http, opener, article_id, watched_s=600, duration_s=0)).status_code == 202
    clock.advance(10)
    assert (await _view(http, reader, article_id, progress=1.0)).status_code == 202
    await flush_counters(services)

    stats = await _stats(services, article_id)
    assert (stats.views, stats.viewers, stats.completions) == (2, 2, 1)
    async with services.read_sessions() as session:
        rows = await session.exec(
            select(ContentViewer).where(ContentViewer.content_id == article_id)
        )
        by_user = {r.user_id: r for r in rows.all()}
    assert by_user[reader.id].completed and by_user[reader.id].progress == 1.0
    assert not by_user[opener.id].completed and by_user[opener.id].progress == 0


async def test_a_viewer_in_two_flushed_batches_counts_once(
    client: httpx.AsyncClient, http: httpx.AsyncClient, services: Services, clock: Clock
) -> None:
    """Each flush writes its own batch; the viewer and their completion are counted by the
    first, and the later batches find them already counted."""
    crew = await f.crew(services)
    video_id = await _published_video(client, services, crew, duration_s=30)
    fan, other = await f.person(services, "viewer"), await f.person(services, "viewer")
    before = await _batches(services)
    assert (await _view(http, fan, video_id, event="start")).status_code == 202
    await flush_counters(services)
    assert (await _stats(services, video_id)).viewers == 1
    clock.advance(30)
    assert (await _view(http, fan, video_id, watched_s=30)).status_code == 202
    await flush_counters(services)
    assert (await _stats(services, video_id)).completions == 1
    # The same viewer again, finishing again, and someone new, in a third batch.
    clock.advance(30)
    assert (await _view(http, fan, video_id, event="start")).status_code == 202
    assert (await _view(http, other, video_id, event="start")).status_code == 202
    clock.advance(30)
    assert (await _view(http, fan, video_id, watched_s=30)).status_code == 202
    await flush_counters(services)
    assert await _batches(services) >= before + 3
    stats = await _stats(services, video_id)
    assert (stats.views, stats.viewers, stats.completions) == (2, 2, 1)
    assert stats.hot_score == await _hot_expected(
        services, video_id, views=2, viewers=2, completions=1
    )


async def test_the_same_person_a_day_later_is_a_second_view_not_a_second_viewer(
    client: httpx.AsyncClient, http: httpx.AsyncClient, services: Services, clock: Clock
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    # At 0:00, 1:00 and 23:59, then 24:00 (a new day of counting begins) and 25:00.
    for step in (0, 3600, 22 * 3600 + 59 * 60, 60, 3600):
        clock.advance(step)
        assert (await _view(http, fan, content_id, event="start")).status_code == 202
    await flush_counters(services)
    stats = await _stats(services, content_id)
    assert (stats.views, stats.viewers) == (2, 1)
    assert stats.hot_score == await _hot_expected(services, content_id, views=2, viewers=1)


async def _batches(services: Services) -> int:
    async with services.read_sessions() as session:
        return int((await session.exec(select(func.count()).select_from(FlushedBatch))).one())


async def test_a_burst_while_redis_is_down_counts_one_person(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Without Redis each event is written to the database at once, in its own transaction:
    ten at once from one account still make one viewer (no duplicate row, no 500)."""
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    fan = await f.person(services, "viewer")
    down = aioredis.Redis(port=1, socket_connect_timeout=0.5)  # nothing listens there
    keys = feeds.FeedKeys(services.settings.redis_prefix)
    writes = f.writer(services)

    async def one(_: int) -> None:
        report = engagement.Report(progress=1.0)
        await writes(lambda s: engagement.record_view(s, down, keys, fan.id, content_id, report))

    try:
        await asyncio.gather(*(one(i) for i in range(10)))
    finally:
        await down.aclose()
    stats = await _stats(services, content_id)
    assert (stats.views, stats.viewers, stats.completions) == (1, 1, 0)


async def test_two_writers_of_one_viewer_at_once_count_one_viewer_and_both_events(
    client: httpx.AsyncClient, services: Services
) -> None:
    """The second writer's insert of the viewer row waits on the first's, then finds it there:
    the person stays one viewer, and the second writer's event still moves their row (here,
    to a completion)."""
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)  # a short article: 5 s to read it through
    fan = await f.person(services, "viewer")
    t = views.now()
    opened = views.event(content_id, fan.id, engagement.Report(views.ViewEvent.start), t)
    finished = views.event(content_id, fan.id, engagement.Report(progress=1.0), t + 30)

    async def blocked_on_a_lock() -> bool:
        async with services.read_sessions() as session:
            waiting = await session.exec(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            return int(waiting.one()[0]) > 0

    async def second_writer() -> None:
        async with services.write_sessions() as b:
            await engagement.apply_batch(b, None, [finished])
            await b.commit()

    async with services.write_sessions() as a:
        await engagement.apply_batch(a, None, [opened])  # the row is new, not yet committed
        second = asyncio.create_task(second_writer())
        await eventually(blocked_on_a_lock)
        await a.commit()
    await second
    stats = await _stats(services, content_id)
    assert (stats.views, stats.viewers, stats.completions) == (1, 1, 1)
    async with services.read_sessions() as session:
        row = await session.get(ContentViewer, (content_id, fan.id))
    assert row is not None and row.completed and row.progress == 1.0
