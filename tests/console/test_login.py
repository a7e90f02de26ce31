"""Staff log in and out of the console; sessions are Secure, HttpOnly, SameSite cookies that end
on logout, on idling, or when the account is disabled; forms need the session's CSRF token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI

from infra.services import Services
from tests.console.harness import Console, sent_to_login
from tests.factories import person


async def test_a_reviewer_logs_in_and_lands_on_the_review_queues(
    console: Console, services: Services
) -> None:
    political = await person(services, "political_reviewer")
    resp = await console.login(political)
    assert resp.status_code == 303 and resp.headers["location"] == "/console/review"
    cookie = next(
        v
        for k, v in resp.headers.multi_items()
        if k == "set-cookie" and v.startswith("kepu_console=")
    )
    for flag in ("Secure", "HttpOnly", "SameSite=strict", "Path=/console"):
        assert flag.lower() in cookie.lower(), cookie


async def test_wrong_password_says_so_and_opens_no_session(
    console: Console, services: Services
) -> None:
    political = await person(services, "political_reviewer")
    resp = await console.login(political, password="not the password at all")
    assert resp.status_code == 401
    assert "kepu_console=" not in resp.headers.get("set-cookie", "")
    assert "用户名或密码错误" in resp.text
    assert sent_to_login(await console.get("/console/review"))


async def test_creators_and_viewers_cannot_use_the_console(
    console: Console, services: Services
) -> None:
    creator = await person(services, "creator")
    resp = await console.login(creator)
    assert resp.status_code == 403 and "控制台仅供审核员和运营人员使用" in resp.text


async def test_a_page_without_a_session_goes_to_login_and_back_after(
    console: Console, services: Services
) -> None:
    wanted = "/console/review?stage=political"
    resp = await console.get(wanted)
    assert resp.status_code == 303
    target = urlsplit(resp.headers["location"])
    assert target.path == "/console/login" and parse_qs(target.query)["next"] == [wanted]
    political = await person(services, "political_reviewer")
    back = await console.login(political, next=wanted)
    assert back.headers["location"] == wanted


async def test_next_never_leaves_the_console(console: Console, services: Services) -> None:
    political = await person(services, "political_reviewer")
    for evil in ("https://evil.example/", "//evil.example/console", "/api/v1/me", "/console/login"):
        async with Console(console.http._transport.app) as other:  # type: ignore[attr-defined]
            resp = await other.login(political, next=evil)
            assert resp.headers["location"] == "/console/review", evil


async def test_logout_ends_the_session_on_the_server(
    console: Console, services: Services, app: FastAPI
) -> None:
    political = await person(services, "political_reviewer")
    await console.login(political)
    stolen = console.http.cookies.get("kepu_console")
    assert stolen
    resp = await console.post("/console/logout", referer="/console/review")
    assert resp.status_code == 303 and resp.headers["location"] == "/console/login"
    async with Console(app) as thief:
        thief.http.cookies.set("kepu_console", stolen, domain="kepu.test")
        assert sent_to_login(await thief.get("/console/review"))


async def test_a_post_without_the_csrf_token_does_nothing(
    console: Console, services: Services
) -> None:
    political = await person(services, "political_reviewer")
    await console.login(political)
    console.csrf = "forged"
    resp = await console.post("/console/logout")
    assert resp.status_code == 403 and "表单已失效" in resp.text
    still = await console.get("/console/review")
    assert still.status_code != 303  # logout did not happen: the session still works


async def test_a_post_from_another_site_is_refused(console: Console, services: Services) -> None:
    political = await person(services, "political_reviewer")
    await console.login(political)
    resp = await console.post("/console/logout", headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403
    assert (await console.get("/console/review")).status_code != 303


async def test_a_disabled_account_loses_its_session_at_once(
    console: Console, services: Services
) -> None:
    from content.models import User

    political = await person(services, "political_reviewer")
    await console.login(political)
    async with services.write_sessions() as session:
        user = await session.get(User, political.id)
        assert user is not None
        user.is_active = False
        await session.commit()
    assert sent_to_login(await console.get("/console/review"))


async def test_with_redis_unreachable_the_console_says_so_and_lets_nobody_in() -> None:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    from api.console.sessions import SessionStore
    from content.errors import Unavailable
    from tests.helpers import free_port

    # No retries: the refusal itself is under test, not redis-py's patience.
    dead = aioredis.Redis(port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    sessions = SessionStore(dead, "kepu-test", 60)
    for attempt in (sessions.open("someone"), sessions.find("a-token")):
        try:
            await attempt
        except Unavailable as exc:
            assert exc.code == "dependency.down"
        else:
            raise AssertionError("a session store without Redis must refuse")
    await dead.aclose()


async def test_an_idle_session_ends_and_the_page_asks_to_log_in_again(
    console: Console, services: Services
) -> None:
    political = await person(services, "political_reviewer")
    await console.login(political)
    token = console.http.cookies.get("kepu_console")
    assert token
    from api.console.auth import store

    await services.redis.delete(store(services)._key(token))  # what idling out does
    resp = await console.get("/console/review?stage=political")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/console/login?next=%2Fconsole%2Freview%3Fstage%3Dpolitical"
    page = await console.get(resp.headers["location"])
    assert "登录已过期，请重新登录" in page.text
