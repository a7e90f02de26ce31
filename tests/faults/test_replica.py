"""Public reads from a PostgreSQL streaming replica, and the primary whenever the replica cannot
be trusted: behind by more than KEPU_REPLICA_MAX_LAG_S, stopped, or behind a caller's own write.
A throw-away primary and its hot standby are started once for the module; replay is paused and
resumed (pg_wal_replay_pause) to hold the replica back. The app's monitor is driven by hand
(`check()`), so what each test sees does not depend on timing; one test runs the monitor's own
loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from api.app import create_app
from api.replica import REPLICA_READS, note_write
from content import feeds
from content.models import User
from infra import db, replica
from infra.replica import Replica
from infra.settings import Settings
from tests import factories as f
from tests.faults import pgcluster
from tests.helpers import eventually, free_port, serving
from tests.processes import KEPU, kepu_env

pytestmark = pytest.mark.skipif(not pgcluster.available(), reason="no PostgreSQL binaries")
MAX_LAG_S = 2.0


@pytest.fixture(scope="module")
def primary() -> Iterator[pgcluster.Cluster]:
    with pgcluster.throwaway_postgres() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def standby(primary: pgcluster.Cluster) -> Iterator[pgcluster.Cluster]:
    with pgcluster.standby_of(primary) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def replicated(
    settings: Settings, primary: pgcluster.Cluster, standby: pgcluster.Cluster
) -> Settings:
    run = secrets.token_hex(4)
    return settings.model_copy(
        update={
            "database_url": primary.url,
            "database_replica_url": standby.url,
            "replica_max_lag_s": MAX_LAG_S,
            # A database of its own needs a queue and key prefix of its own on the shared Redis
            # (another installation's are refused at start).
            "queue_name": f"kepu-replica-{run}",
            "redis_prefix": f"kepu-replica-{run}",
            "run_embedded_worker": False,
        }
    )


@pytest.fixture(scope="module")
async def app(replicated: Settings) -> AsyncIterator[FastAPI]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replica, "INTERVAL_S", 3600.0)  # the tests call check() themselves
        application = create_app(replicated)
        async with serving(application) as client:
            application.state.test_client = client
            yield application


@pytest.fixture
def client(app: FastAPI) -> httpx.AsyncClient:
    c: httpx.AsyncClient = app.state.test_client
    return c


@pytest.fixture
def standby_state(app: FastAPI) -> Replica:
    state = app.state.services.replica
    assert state is not None
    return state


async def _replay(url: str, what: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"SELECT pg_wal_replay_{what}()")
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def held_back(app: FastAPI) -> AsyncIterator[None]:
    """The app's replica has replayed all the primary wrote so far, then stops replaying until
    the block ends."""
    state: Replica = app.state.services.replica
    url = str(app.state.services.settings.database_replica_url)
    await caught_up(state)
    await _replay(url, "pause")
    try:
        yield
    finally:
        await _replay(url, "resume")


async def caught_up(state: Replica) -> None:
    """The monitor saw the replica in use and replayed up to where the primary is now."""

    async def there() -> bool:
        async with state.primary.connect() as conn:
            now = replica.lsn(
                (await conn.exec_driver_sql("SELECT pg_current_wal_lsn()")).scalar_one()
            )
        await state.check()
        return state.refusal(now) is None

    await eventually(there, within=30)


def fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("kepu_db_replica_fallbacks_total", {"reason": reason}) or 0.0


async def renamed(client: httpx.AsyncClient, who: f.Person) -> str:
    name = f"renamed-{secrets.token_hex(3)}"
    resp = await client.patch("/api/v1/me", json={"display_name": name}, headers=who.auth)
    assert resp.status_code == 200, resp.text
    return name


async def shown_name(client: httpx.AsyncClient, user_id: str, who: f.Person | None = None) -> str:
    resp = await client.get(f"/api/v1/users/{user_id}", headers=who.auth if who else None)
    assert resp.status_code == 200, resp.text
    name: str = resp.json()["display_name"]
    return name


async def test_anonymous_reads_come_from_the_replica_while_the_author_reads_their_own_write(
    app: FastAPI, client: httpx.AsyncClient, standby_state: Replica
) -> None:
    author = await f.person(app.state.services, "creator")
    other = await f.person(app.state.services, "creator")
    before = await shown_name(client, author.id)
    async with held_back(app):
        name = await renamed(client, author)
        await standby_state.check()
        assert standby_state.in_use  # within the max lag: still read
        assert await shown_name(client, author.id) == before  # the replica, held back
        assert await shown_name(client, author.id, author) == name  # the author: the primary
        assert await shown_name(client, author.id, other) == before  # only the author's own
    await caught_up(standby_state)
    assert await shown_name(client, author.id) == name


async def test_a_token_for_an_account_the_replica_does_not_know_yet_is_checked_on_the_primary(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    author = await f.person(app.state.services, "creator")
    async with held_back(app):
        newcomer = await f.person(app.state.services, "creator")  # not replayed
        counted = fallbacks("account")
        assert await shown_name(client, author.id, newcomer) == author.username
        assert fallbacks("account") == counted + 1
        forged = {"Authorization": "Bearer " + newcomer.token[:-4] + "AAAA"}
        resp = await client.get(f"/api/v1/users/{author.id}", headers=forged)
        f.assert_problem(resp, 401, "auth.invalid_token")
        assert fallbacks("account") == counted + 1  # a token we did not sign: no second try


async def test_a_newcomer_from_wechat_reads_from_the_primary_until_the_replica_has_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    author = await f.person(app.state.services, "creator")
    async with held_back(app):
        login = await client.post(
            "/api/v1/auth/wechat", json={"code": f"ok-{secrets.token_hex(6)}"}
        )
        assert login.status_code == 200, login.text
        assert login.json()["created"] is True
        newcomer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        own, unknown = fallbacks("own_write"), fallbacks("account")
        resp = await client.get(f"/api/v1/users/{author.id}", headers=newcomer)
        assert resp.status_code == 200, resp.text
        assert (fallbacks("own_write"), fallbacks("account")) == (own + 1, unknown)


async def test_a_write_whose_wal_position_cannot_be_read_keeps_its_user_on_the_primary(
    app: FastAPI, client: httpx.AsyncClient, standby_state: Replica
) -> None:
    author = await f.person(app.state.services, "creator")
    await caught_up(standby_state)
    gone = db.make_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        async with db.make_sessionmaker(gone)() as session:
            await note_write(app.state.services, session, author.id)
    finally:
        await gone.dispose()
    counted = fallbacks("own_write")
    assert await shown_name(client, author.id, author) == author.username
    assert fallbacks("own_write") == counted + 1


async def test_past_the_max_lag_every_read_goes_to_the_primary_until_the_replica_catches_up(
    app: FastAPI, client: httpx.AsyncClient, standby_state: Replica
) -> None:
    author = await f.person(app.state.services, "creator")
    async with held_back(app):
        name = await renamed(client, author)
        await standby_state.check()
        await asyncio.sleep(MAX_LAG_S)  # the lag is time passing while replay is held
        await standby_state.check()
        assert not standby_state.in_use
        assert REGISTRY.get_sample_value("kepu_db_replica_in_use") == 0
        assert (REGISTRY.get_sample_value("kepu_db_replica_lag_seconds") or 0) > MAX_LAG_S
        counted = fallbacks("lag")
        assert await shown_name(client, author.id) == name  # nobody sees the old name now
        assert fallbacks("lag") == counted + 1
    await caught_up(standby_state)
    assert REGISTRY.get_sample_value("kepu_db_replica_in_use") == 1


async def test_a_change_of_what_the_feeds_show_is_read_from_the_primary_until_replayed(
    app: FastAPI, client: httpx.AsyncClient, standby_state: Replica
) -> None:
    author = await f.person(app.state.services, "creator")
    before = await shown_name(client, author.id)
    async with held_back(app):
        name = await _rename_behind_the_api(app, author.id)
        await standby_state.check()
        assert await shown_name(client, author.id) == before  # written, no invalidation yet
        await app.state.feeds.invalidate(feeds.EVERYTHING)  # as a publish or takedown does
        assert await shown_name(client, author.id) == name
        await standby_state.check()  # the fence is where the primary is: not replayed yet
        counted = fallbacks("fence")
        assert await shown_name(client, author.id) == name
        assert fallbacks("fence") == counted + 1


@pytest.mark.faults
async def test_a_stopped_replica_costs_no_read_and_is_read_again_once_back(
    app: FastAPI, client: httpx.AsyncClient, standby: pgcluster.Cluster, standby_state: Replica
) -> None:
    author = await f.person(app.state.services, "creator")
    await caught_up(standby_state)
    await asyncio.to_thread(standby.stop, "fast")
    try:
        errors = fallbacks("error")
        # The monitor has not looked yet: the read fails on the replica and is run again.
        assert standby_state.in_use
        assert await shown_name(client, author.id) == author.username
        assert fallbacks("error") == errors + 1
        await standby_state.check()
        assert not standby_state.in_use
        lag = fallbacks("lag")
        feed = await client.get("/api/v1/feed")
        assert feed.status_code == 200, feed.text
        assert await shown_name(client, author.id) == author.username
        assert fallbacks("lag") > lag and fallbacks("error") == errors + 1
    finally:
        await asyncio.to_thread(standby.start)
    await caught_up(standby_state)
    lag = fallbacks("lag")
    assert await shown_name(client, author.id) == author.username
    assert fallbacks("lag") == lag and fallbacks("error") == errors + 1


async def test_the_monitor_notices_lag_and_recovery_by_itself(
    replicated: Settings, standby: pgcluster.Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica, "INTERVAL_S", 0.2)
    primary = db.make_engine(replicated.resolved_database_url())
    engine = db.make_engine(str(replicated.resolved_replica_url()))
    state = Replica(primary, engine, 0.5)
    monitor = asyncio.create_task(state.run())
    try:
        await eventually(lambda: _is(state, True), within=10)
        await _replay(standby.url, "pause")
        try:
            async with primary.begin() as conn:  # something to replay
                await conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS probe (x int)")
                await conn.exec_driver_sql("INSERT INTO probe VALUES (1)")
            await eventually(lambda: _is(state, False), within=10)
        finally:
            await _replay(standby.url, "resume")
        await eventually(lambda: _is(state, True), within=10)
    finally:
        monitor.cancel()
        await primary.dispose()
        await engine.dispose()


async def _is(state: Replica, in_use: bool) -> bool:
    return state.in_use is in_use


async def _rename_behind_the_api(app: FastAPI, user_id: str) -> str:
    name = f"direct-{secrets.token_hex(3)}"
    async with app.state.services.write_sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.display_name = name
        session.add(user)
        await session.commit()
    return name


# Start-up refusals: `kepu serve` says what is wrong in one line and exits non-zero.


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KEPU), "serve", "--port", str(free_port()), "--no-workers"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_refusal(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for word in ("KEPU_DATABASE_REPLICA_URL", *words):
        assert word in lines[0], lines[0]


def test_serve_refuses_a_replica_url_that_points_at_the_primary(
    replicated: Settings, primary: pgcluster.Cluster, tmp_path: Path
) -> None:
    env = kepu_env(replicated, KEPU_DATA_DIR=str(tmp_path), KEPU_DATABASE_URL=primary.url)
    env["KEPU_DATABASE_REPLICA_URL"] = primary.url
    _one_line_refusal(_serve(env), "not a standby")


def test_serve_refuses_a_replica_of_another_database(
    settings: Settings, standby: pgcluster.Cluster, tmp_path: Path
) -> None:
    # The suite's primary is the machine's PostgreSQL; this standby replicates another cluster.
    env = kepu_env(settings, KEPU_DATA_DIR=str(tmp_path))
    env["KEPU_DATABASE_REPLICA_URL"] = standby.url
    _one_line_refusal(_serve(env), "another database", "system identifier")


def test_serve_refuses_a_replica_without_a_postgresql_primary(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEPU_")}
    env |= {"KEPU_DATA_DIR": str(tmp_path), "KEPU_DATABASE_REPLICA_URL": "postgresql://x/y"}
    _one_line_refusal(_serve(env), "KEPU_DATABASE_URL", "PostgreSQL")


async def test_an_unreachable_replica_starts_on_the_primary_and_says_so(
    replicated: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    application = create_app(replicated.model_copy(update={"database_replica_url": nowhere}))
    logging.getLogger().addHandler(caplog.handler)  # the app set the root's handlers anew
    async with serving(application) as client:
        assert not application.state.services.replica.in_use
        assert REGISTRY.get_sample_value("kepu_db_replica_in_use") == 0
        feed = await client.get("/api/v1/feed")
        assert feed.status_code == 200, feed.text
    assert any("KEPU_DATABASE_REPLICA_URL" in r.getMessage() for r in caplog.records)


def test_every_path_listed_for_the_replica_is_a_served_read(app: FastAPI) -> None:
    gets = {path for path, operations in app.openapi()["paths"].items() if "get" in operations}
    listed = {f"/api/v1{path}" for path in REPLICA_READS}
    assert listed <= gets, listed - gets
