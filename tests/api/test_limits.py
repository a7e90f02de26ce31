"""Abuse limits: oversized request bodies, password guessing and password spraying."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from content import accounts
from infra import ratelimit
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import free_port


async def test_an_oversized_json_body_is_413_before_it_is_read(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    body = json.dumps(f.article(body="字" * (services.settings.max_request_bytes // 2)))
    resp = await client.post(
        "/api/v1/contents",
        content=body.encode(),
        headers={**creator.auth, "Content-Type": "application/json"},
    )
    assert resp.status_code == 413 and resp.json()["code"] == "request.too_large"
    assert await f.my_content_ids(client, creator) == []


async def test_an_oversized_chunked_body_is_413_too(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b" " * (services.settings.max_request_bytes // 2)

    resp = await client.post(
        "/api/v1/contents",
        content=chunks(),
        headers={**creator.auth, "Content-Type": "application/json"},
    )
    f.assert_problem(resp, 413, "request.too_large")
    assert await f.my_content_ids(client, creator) == []


# -- logins: guessing one account, spraying many ---------------------------------------------


async def test_password_guessing_is_slowed_to_a_few_attempts_a_minute(
    app: FastAPI, services: Services
) -> None:
    victim = await f.person(services, "admin")
    limit = services.settings.login_per_minute
    async with f.from_address(app, f.random_address()) as client:
        answers = [await f.login(client, victim.username, f"guess{i}") for i in range(limit + 2)]
        assert [r.status_code for r in answers[:limit]] == [401] * limit
        for refused in answers[limit:]:
            f.assert_problem(refused, 429, "auth.rate_limited")
        # Even the right password waits: the limit is on trying, not on failing to log in.
        resp = await f.login(client, victim.username, f.PASSWORD)
        f.assert_problem(resp, 429, "auth.rate_limited")
        assert int(resp.headers["retry-after"]) > 0
    # Another address is not held back by this one's guessing.
    async with f.from_address(app, f.random_address()) as elsewhere:
        assert (await f.login(elsewhere, victim.username, f.PASSWORD)).status_code == 200


async def test_successful_logins_do_not_count_against_the_limit(
    app: FastAPI, services: Services
) -> None:
    who = await f.person(services, "creator")
    attempts = services.settings.login_per_minute + 5
    async with f.from_address(app, f.random_address()) as client:
        codes = [
            (await f.login(client, who.username, f.PASSWORD)).status_code for _ in range(attempts)
        ]
    assert codes == [200] * attempts


async def test_spraying_30_usernames_from_one_address_is_refused_before_the_30th(
    app: FastAPI, services: Services
) -> None:
    real = await f.person(services, "political_reviewer")
    sprayer = f.random_address()
    async with f.from_address(app, sprayer) as client:
        answers = [
            await f.login(client, f"user-{i}-{secrets.token_hex(3)}", "Password123!")
            for i in range(30)
        ]
        codes = [r.status_code for r in answers]
        first_refusal = codes.index(429)  # raises if every attempt got through
        assert first_refusal < 29 and set(codes[:first_refusal]) == {401}
        body = f.assert_problem(answers[first_refusal], 429, "auth.address_locked")
        assert body["detail"].startswith("此网络登录失败过多") and "秒后" in body["detail"]
        assert int(answers[first_refusal].headers["retry-after"]) > 0
        for refused in answers[first_refusal:]:
            f.assert_problem(refused, 429, "auth.address_locked")
        # Locked out: not even a right password is tried from this address.
        f.assert_problem(
            await f.login(client, real.username, f.PASSWORD), 429, "auth.address_locked"
        )
    # The lockout is this address's alone.
    async with f.from_address(app, f.random_address()) as other:
        assert (await f.login(other, real.username, f.PASSWORD)).status_code == 200


async def test_each_lockout_of_an_address_lasts_twice_as_long_as_the_one_before(
    app: FastAPI, services: Services
) -> None:
    sprayer = f.random_address()
    limit = services.settings.login_failures_per_address
    async with f.from_address(app, sprayer) as client:
        for i in range(limit):
            assert (await f.login(client, f"nobody-{i}", "Password123!")).status_code == 401
        first = await f.login(client, "nobody-x", "Password123!")
        f.assert_problem(first, 429, "auth.address_locked")
        # The lockout runs out (here: at once), but the address's failures still count.
        lockout = ratelimit.key(services.settings.redis_prefix, "login-lockout", sprayer)
        assert await services.redis.delete(lockout) == 1
        second = await f.login(client, "nobody-y", "Password123!")
        f.assert_problem(second, 429, "auth.address_locked")
    assert int(second.headers["retry-after"]) == 2 * int(first.headers["retry-after"])


async def test_forwarded_for_from_an_untrusted_peer_does_not_hide_the_sprayer(
    app: FastAPI, services: Services
) -> None:
    assert services.settings.forwarded_allow_ips == ""  # the default: no proxy is trusted
    async with f.from_address(app, f.random_address()) as client:
        answers = [
            await f.login(
                client, f"user-{i}", "Password123!", **{"X-Forwarded-For": f.random_address()}
            )
            for i in range(services.settings.login_failures_per_address + 1)
        ]
    f.assert_problem(answers[-1], 429, "auth.address_locked")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("10.0.0.5", ["1.2.3.4"], "", "10.0.0.5"),  # nobody trusted: the peer
        ("10.0.0.5", ["1.2.3.4"], "10.0.0.0/8", "1.2.3.4"),
        ("10.0.0.5", ["6.6.6.6, 1.2.3.4"], "10.0.0.5", "1.2.3.4"),  # left of it: the client's
        ("10.0.0.5", ["1.2.3.4", "10.0.0.9"], "10.0.0.0/8", "1.2.3.4"),  # proxies in a chain
        ("9.9.9.9", ["1.2.3.4"], "10.0.0.0/8", "9.9.9.9"),  # an untrusted peer
        ("10.0.0.5", [], "*", "10.0.0.5"),  # no header: the peer
        # A proxy on a dual-stack socket arrives IPv4-mapped: still the proxy the spec names.
        ("::ffff:10.0.0.5", ["1.2.3.4"], "10.0.0.0/8", "1.2.3.4"),
        ("::ffff:9.9.9.9", ["1.2.3.4"], "10.0.0.0/8", "::ffff:9.9.9.9"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    peer: str, forwarded: list[str], trusted: str, client: str
) -> None:
    assert ratelimit.client_address(peer, forwarded, trusted) == client


async def test_login_limits_admit_everything_when_redis_is_down(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    down = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        for i in range(settings.login_failures_per_address + 5):
            attempt = await accounts.admit_password(down, settings, "10.9.9.9", f"user-{i}")
            await accounts.login_succeeded(down, attempt)
        await accounts.admit_wechat(down, settings, "10.9.9.9")
    finally:
        await down.aclose()
    assert "rate limit not checked (Redis unavailable)" in caplog.text


async def test_a_success_after_the_window_ran_out_leaves_no_negative_count(
    services: Services,
) -> None:
    address = f.random_address()
    attempt = await accounts.admit_password(services.redis, services.settings, address, "x")
    assert len(attempt.counted) == 2
    await services.redis.delete(*attempt.counted)  # the window ran out before the login ended
    await accounts.login_succeeded(services.redis, attempt)
    assert await services.redis.exists(*attempt.counted) == 0


def test_an_ipv6_client_is_limited_by_its_64_as_one_address() -> None:
    one = ratelimit.address_subject("2001:db8:1:2:aaaa::1")
    assert one == ratelimit.address_subject("2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert one != ratelimit.address_subject("2001:db8:1:3::1")
    assert ratelimit.address_subject("10.1.2.3") == "10.1.2.3"


def test_an_ipv4_mapped_client_is_limited_as_its_ipv4_address() -> None:
    one = ratelimit.address_subject("::ffff:10.1.2.3")
    assert one == ratelimit.address_subject("10.1.2.3") == "10.1.2.3"
    assert one != ratelimit.address_subject("::ffff:10.1.2.4")
    assert ratelimit.address_subject("::FFFF:0a01:0203") == one  # however it is written


async def test_a_sprayer_behind_a_dual_stack_socket_locks_out_only_its_own_address(
    app: FastAPI, services: Services
) -> None:
    real = await f.person(services, "political_reviewer")
    sprayer = f.random_address()
    async with f.from_address(app, f"::ffff:{sprayer}") as client:
        for i in range(services.settings.login_failures_per_address):
            assert (await f.login(client, f"nobody-{i}", "Password123!")).status_code == 401
        f.assert_problem(
            await f.login(client, real.username, f.PASSWORD), 429, "auth.address_locked"
        )
    # The same client seen as plain IPv4 is the same address, locked out too.
    async with f.from_address(app, sprayer) as client:
        f.assert_problem(
            await f.login(client, real.username, f.PASSWORD), 429, "auth.address_locked"
        )
    # Every other IPv4 client of the same socket keeps its own limit.
    async with f.from_address(app, f"::ffff:{f.random_address()}") as other:
        assert (await f.login(other, real.username, f.PASSWORD)).status_code == 200
