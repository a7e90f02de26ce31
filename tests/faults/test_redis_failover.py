"""Redis through Sentinel, failed on purpose: a master, two replicas and three Sentinels (real
`redis-server` processes), two API processes and two `kepu worker`s on a database of the
module's own. The master is SIGKILLed under likes, views and submissions; afterwards every
acknowledged one is in the database exactly once and both APIs serve again; a scheduled job
firing every second ran once per firing across both workers. Plus the start-up refusals:
Sentinels that are unreachable or know no such master, and a second installation on the same
queue name and key prefix. About 2 minutes (1 of them starting the processes)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import secrets
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.app import STORAGE_ROUTE
from api.preflight import check_redis
from content import drain, effects, jobs
from content.models import ContentStats, ReviewEvent, Stage
from infra import db
from infra.services import Services, open_services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import eventually, free_port, hosted, scratch_database
from tests.processes import KEPU, ApiServer, kepu_env, kill, start_worker
from tests.sentinels import Topology, running_topology

pytestmark = pytest.mark.faults

FANS = 24
SUBMISSIONS = 6
SETTLED_WITHIN_S = 60.0


@dataclass
class Deployment:
    settings: Settings
    services: Services
    topology: Topology
    apis: list[ApiServer]
    env: dict[str, str]
    logs: Path


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    with running_topology(tmp_path_factory.mktemp("sentinels")) as started:
        yield started


@pytest.fixture(scope="module")
async def deployment(
    settings: Settings, topology: Topology, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    """Two APIs and two workers on the Sentinel URL, a database, queue and prefix of their own
    (no worker of the test session can run their jobs)."""
    run = secrets.token_hex(4)
    logs = tmp_path_factory.mktemp("failover-logs")
    async with scratch_database(f"kepu_failover_{run}") as url:
        own = settings.model_copy(
            update={
                "database_url": url,
                "redis_url": topology.url,
                "queue_name": f"kepu-failover-{run}",
                "redis_prefix": f"kepu-failover-{run}",
                "counter_flush_s": 1,
            }
        )
        # Cached pages live long, so only an invalidation (or a lost channel) drops them.
        env = kepu_env(
            own,
            KEPU_RUN_EMBEDDED_WORKER="false",
            KEPU_COUNTER_FLUSH_S="1",
            KEPU_FEED_CACHE_TTL_S="300",
        )
        opening = open_services(own, storage_route=STORAGE_ROUTE, migrate=True)
        async with hosted(opening) as services:
            apis = [ApiServer(env, free_port(), logs / f"api{i}.log") for i in range(2)]
            workers: list[subprocess.Popen[bytes]] = []
            try:
                for api in apis:
                    await asyncio.to_thread(api.start)
                for i in range(2):
                    # The rollup fires every second; DEBUG logs each firing with its task id.
                    worker_env = {**env, "KEPU_LOG_LEVEL": "DEBUG", "KEPU_STATS_ROLLUP_S": "1"}
                    workers.append(start_worker(worker_env, logs / f"worker{i}.log"))
                yield Deployment(own, services, topology, apis, env, logs)
            finally:
                for proc in workers:
                    kill(proc)
                for api in apis:
                    api.kill()


@dataclass
class Acknowledged:
    likes: set[str] = field(default_factory=set)
    views: set[str] = field(default_factory=set)
    submitted: set[str] = field(default_factory=set)
    failed: int = 0


async def _fan_acts(
    api: httpx.AsyncClient, fan: f.Person, content_id: str, seen: Acknowledged
) -> None:
    """One like and one view; what the API acknowledged is remembered."""
    url = f"/api/v1/contents/{content_id}"
    with contextlib.suppress(httpx.TransportError):
        if (await api.post(f"{url}/like", headers=fan.auth)).status_code == 200:
            seen.likes.add(fan.id)
        else:
            seen.failed += 1
        view = await api.post(f"{url}/views", json={"event": "start"}, headers=fan.auth)
        if view.status_code == 202:
            seen.views.add(fan.id)
        else:
            seen.failed += 1


@dataclass
class Doomed:
    """A published content an admin takes down while Redis fails over."""

    content_id: str
    admin: f.Person
    status: int | None = None


async def _take_down(api: httpx.AsyncClient, doomed: Doomed) -> None:
    with contextlib.suppress(httpx.TransportError):
        doomed.status = (await f.takedown(api, doomed.admin, doomed.content_id)).status_code


async def _submit(api: httpx.AsyncClient, creator: f.Person, seen: Acknowledged) -> None:
    with contextlib.suppress(httpx.TransportError):
        created = await api.post("/api/v1/contents", json=f.article(), headers=creator.auth)
        if created.status_code != 201:
            seen.failed += 1
            return
        content_id = created.json()["id"]
        sent = await api.post(f"/api/v1/contents/{content_id}/submit", headers=creator.auth)
        if sent.status_code == 202:
            seen.submitted.add(content_id)
        else:
            seen.failed += 1


async def _load(
    d: Deployment, content_id: str, fans: list[f.Person], creator: f.Person, doomed: Doomed
) -> Acknowledged:
    """Fans and the creator spread over both APIs; the master dies once half of them are done."""
    seen = Acknowledged()
    clients = [httpx.AsyncClient(base_url=api.url, timeout=15) for api in d.apis]
    try:
        half = len(fans) // 2
        for i, fan in enumerate(fans):
            api = clients[i % 2]
            acts = [_fan_acts(api, fan, content_id, seen)]
            if i % (len(fans) // SUBMISSIONS) == 0:
                acts.append(_submit(clients[(i + 1) % 2], creator, seen))
            if i == half:
                old = d.topology.master()
                await asyncio.to_thread(old.kill)
                acts.append(_take_down(clients[0], doomed))
            await asyncio.gather(*acts)
        await asyncio.to_thread(d.topology.wait_for_new_master, old)
    finally:
        for client in clients:
            await client.aclose()
    return seen


async def _published(d: Deployment) -> str:
    """A published article, placed in the feeds in Redis as a publication places it."""

    async def publish(session: AsyncSession) -> str:
        view = await f.published_in_session(session, d.settings)
        effects.sync_feeds(session, view.content.id)
        return view.content.id

    content_id: str = await drain.broadcasting(d.services).write(publish)
    return content_id


async def _feed_ids(d: Deployment) -> list[set[str]]:
    """The ids on the latest feed's first page, as each API serves it."""
    found = []
    for api in d.apis:
        async with httpx.AsyncClient(base_url=api.url, timeout=10) as client:
            page = await client.get("/api/v1/feed", params={"tab": "latest"})
            assert page.status_code == 200, page.text
            found.append({card["id"] for card in page.json()["items"]})
    return found


async def _machine_decisions(services: Services, content_ids: set[str]) -> dict[str, int]:
    """For each content, how many times the machine stage decided it (actions with no actor)."""
    query = (
        select(ReviewEvent.content_id, func.count())
        .where(
            col(ReviewEvent.actor_id).is_(None),
            ReviewEvent.stage == Stage.machine,
            col(ReviewEvent.content_id).in_(content_ids),
        )
        .group_by(ReviewEvent.content_id)
    )
    async with services.read_sessions() as session:
        return {content_id: n for content_id, n in (await session.exec(query)).all()}


async def test_a_master_killed_under_load_loses_no_acknowledged_like_view_or_job(
    deployment: Deployment,
) -> None:
    d = deployment
    async with d.services.write_sessions() as session:
        content = await f.published_in_session(session, d.settings)
        await session.commit()
    content_id = content.content.id
    fans = [await f.person(d.services, name=f"fan{i}") for i in range(FANS)]
    creator = await f.person(d.services, "creator")

    doomed = Doomed(await _published(d), await f.person(d.services, "admin"))
    # Each API caches the latest feed's first page, the doomed content on it.
    assert all(doomed.content_id in ids for ids in await _feed_ids(d))

    seen = await _load(d, content_id, fans, creator, doomed)
    assert len(seen.likes) >= FANS - 2 and len(seen.views) >= FANS - 2, seen

    async def counted() -> ContentStats | None:
        async with d.services.read_sessions() as session:
            stats = await session.get(ContentStats, content_id)
        done = stats is not None and stats.viewers >= len(seen.views)
        return stats if done else None

    stats = await eventually(counted, within=SETTLED_WITHIN_S)
    assert isinstance(stats, ContentStats)
    assert (stats.likes, stats.viewers, stats.views) == (
        len(seen.likes), len(seen.views), len(seen.views),
    )  # fmt: skip

    async def decided() -> dict[str, int] | None:
        found = await _machine_decisions(d.services, seen.submitted)
        return found if set(found) == seen.submitted else None

    decisions = await eventually(decided, within=SETTLED_WITHIN_S)
    assert decisions == dict.fromkeys(seen.submitted, 1), decisions  # each job ran once

    # The takedown decided during the failover: no API serves a page that still shows it.
    assert doomed.status == 200, doomed
    assert not any(doomed.content_id in ids for ids in await _feed_ids(d))

    # Both APIs serve again, through the new master (a view goes through Redis).
    for api in d.apis:
        async with httpx.AsyncClient(base_url=api.url, timeout=10) as client:
            assert (await client.get("/readyz")).status_code == 200
            again = await client.post(
                f"/api/v1/contents/{content_id}/views", json={"event": "start"},
                headers=creator.auth,
            )  # fmt: skip
            assert again.status_code == 202, again.text


async def test_a_view_no_replica_took_is_not_lost_when_the_master_dies(
    deployment: Deployment,
) -> None:
    """The replicas are stopped (SIGSTOP, their links cut) while a view is acknowledged, then
    the master is killed and a replica that never got the view is promoted: the view is counted
    all the same (no replica took it in time, so the API wrote it to the database too)."""
    d = deployment
    async with d.services.write_sessions() as session:
        content = await f.published_in_session(session, d.settings)
        await session.commit()
    content_id, fan = content.content.id, await f.person(d.services, name="late-fan")
    master = d.topology.master()
    replicas = [n for n in d.topology.data if n is not master and n.proc.poll() is None]
    for replica in replicas:
        replica.proc.send_signal(signal.SIGSTOP)
    # Cut their links too: what the master sends from now on sits in its backlog, not in the
    # replicas' sockets (where a stopped replica would still read it once continued).
    await asyncio.to_thread(master.client().client_kill_filter, _type="replica")
    try:
        async with httpx.AsyncClient(base_url=d.apis[0].url, timeout=15) as client:
            view = await client.post(
                f"/api/v1/contents/{content_id}/views", json={"event": "start"}, headers=fan.auth
            )
        assert view.status_code == 202, view.text
        await asyncio.to_thread(master.kill)
    finally:
        for replica in replicas:
            replica.proc.send_signal(signal.SIGCONT)
    await asyncio.to_thread(d.topology.wait_for_new_master, master)

    async def counted() -> ContentStats | None:
        async with d.services.read_sessions() as session:
            stats = await session.get(ContentStats, content_id)
        return stats if stats is not None and stats.viewers else None

    stats = await eventually(counted, within=SETTLED_WITHIN_S)
    assert isinstance(stats, ContentStats) and (stats.viewers, stats.views) == (1, 1)


def _refused(env: dict[str, str], command: str) -> str:
    """`kepu <command>` exits at once, non-zero, with one line on stderr; returns that line."""
    done = subprocess.run(
        [str(KEPU), command], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    return lines[0]


def test_sentinels_that_do_not_know_the_master_are_refused(deployment: Deployment) -> None:
    wrong = deployment.topology.url.rsplit("/", 1)[0] + "/no-such-master"
    line = _refused({**deployment.env, "KEPU_REDIS_URL": wrong}, "serve")
    assert "KEPU_REDIS_URL" in line and "'no-such-master'" in line, line


def test_sentinels_that_do_not_answer_are_refused(deployment: Deployment) -> None:
    gone = f"redis+sentinel://127.0.0.1:{free_port()},127.0.0.1:{free_port()}/kepu-test"
    line = _refused({**deployment.env, "KEPU_REDIS_URL": gone}, "worker")
    assert "KEPU_REDIS_URL" in line and "no Sentinel answered" in line, line


async def test_a_second_installation_on_the_same_queue_and_prefix_is_refused(
    deployment: Deployment,
) -> None:
    """Another database (staging beside production, say) with the same queue name and key
    prefix on the same Redis: refused, naming both settings; with names of its own it starts."""
    run = secrets.token_hex(4)
    async with scratch_database(f"kepu_other_{run}") as other:
        env = {**deployment.env, "KEPU_DATABASE_URL": other}
        own_names = deployment.settings.model_copy(
            update={"database_url": other, "queue_name": f"o-{run}", "redis_prefix": f"o-{run}"}
        )
        await asyncio.to_thread(db.upgrade, own_names.resolved_database_url())
        for command in ("serve", "worker"):
            line = await asyncio.to_thread(_refused, env, command)
            assert "KEPU_QUEUE_NAME" in line and "KEPU_REDIS_PREFIX" in line, line
            assert repr(deployment.settings.queue_name) in line, line
        await check_redis(own_names, deployment.topology.url)  # no refusal


def test_each_scheduled_rollup_ran_once_across_both_workers_through_the_failovers(
    deployment: Deployment,
) -> None:
    """Run last: the two workers' whole lives, both failovers included. A cron fires once per
    period, whichever worker takes it, and never on both."""
    ran = collections.Counter(
        match
        for i in range(2)
        for match in re.findall(
            rf"cron {jobs.STATS_ROLLUP} ran (\S+)", (deployment.logs / f"worker{i}.log").read_text()
        )
    )
    assert len(ran) >= 10, ran  # a firing a second while the module ran
    assert max(ran.values()) == 1, [task for task, n in ran.items() if n > 1]
