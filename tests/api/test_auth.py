"""Login and accounts through the HTTP contract: staff passwords, tokens, admin-made users,
WeChat mini-program login against the local stub, and the `kepu user create` command."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from api.app import create_app
from content.models import User
from infra.security import issue_token
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests import wechat_stub
from tests.helpers import serving


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


async def _wechat(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post("/api/v1/auth/wechat", json={"code": code})


async def _account_exists(services: Services, username: str) -> bool:
    async with services.read_sessions() as session:
        found = await session.exec(select(User.id).where(User.username == username))
        return found.first() is not None


def _new_user(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": f"staff-{secrets.token_hex(4)}",
        "password": "a long enough password",
        "display_name": "张老师",
        "roles": ["political_reviewer"],
        "disciplines": [],
    }
    body.update(overrides)
    return body


# -- staff login and tokens ------------------------------------------------------------------


async def test_staff_login_gives_a_token_that_works_on_me(
    client: httpx.AsyncClient, services: Services
) -> None:
    sci = await f.person(services, "science_reviewer", "creator", disciplines=("physics",))
    resp = await f.login(client, sci.username, f.PASSWORD)
    assert resp.status_code == 200, resp.text
    token = resp.json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 0

    me = await _me(client, token["access_token"])
    assert me.status_code == 200, me.text
    assert me.json()["id"] == sci.id
    assert sorted(me.json()["roles"]) == ["creator", "science_reviewer"]
    assert me.json()["disciplines"] == ["physics"]


async def test_wrong_password_is_401_invalid_credentials(
    client: httpx.AsyncClient, services: Services
) -> None:
    who = await f.person(services, "creator")
    resp = await f.login(client, who.username, "not the password")
    f.assert_problem(resp, 401, "auth.invalid_credentials")


async def test_unknown_user_gets_the_same_401_as_a_wrong_password(
    client: httpx.AsyncClient, services: Services
) -> None:
    who = await f.person(services, "creator")
    wrong = f.assert_problem(await f.login(client, who.username, "not the password"), 401)
    unknown = f.assert_problem(
        await f.login(client, f"nobody-{secrets.token_hex(4)}", "whatever1"), 401
    )
    assert unknown["code"] == wrong["code"] == "auth.invalid_credentials"
    assert unknown["detail"] == wrong["detail"]


async def test_me_without_token_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/me")
    f.assert_problem(resp, 401)
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_token_signed_with_another_secret_is_401(
    client: httpx.AsyncClient, services: Services
) -> None:
    who = await f.person(services, "creator")
    forged = issue_token(who.id, secrets.token_urlsafe(48), 3600)
    resp = await _me(client, forged)
    f.assert_problem(resp, 401)
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_during_a_jwt_rotation_tokens_of_the_previous_secret_still_work(
    settings: Settings, services: Services
) -> None:
    who = await f.person(services, "creator")
    old, new = services.settings.resolved_jwt_secret(), secrets.token_urlsafe(48)
    before = issue_token(who.id, old, 3600)
    rotated = {"jwt_secret": new, "jwt_previous_secret": old, "run_embedded_worker": False}
    async with serving(create_app(Settings(**(settings.model_dump() | rotated)))) as client:
        for token in (before, issue_token(who.id, new, 3600)):
            me = await _me(client, token)
            assert me.status_code == 200 and me.json()["id"] == who.id, me.text
        expired = issue_token(who.id, old, ttl_s=-10)
        english = {"Authorization": f"Bearer {expired}", **f.ENGLISH}
        body = f.assert_problem(await client.get("/api/v1/me", headers=english), 401)
        assert "expired" in body["detail"]  # still told apart from a forged one
        forged = issue_token(who.id, secrets.token_urlsafe(48), 3600)
        f.assert_problem(await _me(client, forged), 401, "auth.invalid_token")
    # Once the previous secret is dropped, its tokens are refused: their holders log in again.
    done = {"jwt_secret": new, "run_embedded_worker": False}
    async with serving(create_app(Settings(**(settings.model_dump() | done)))) as client:
        f.assert_problem(await _me(client, before), 401, "auth.invalid_token")


async def test_expired_token_is_401_saying_it_expired(
    client: httpx.AsyncClient, services: Services
) -> None:
    who = await f.person(services, "creator")
    expired = issue_token(who.id, services.settings.resolved_jwt_secret(), ttl_s=-10)
    body = f.assert_problem(await _me(client, expired), 401, "auth.invalid_token")
    assert body["detail"] == "登录已失效，请重新登录" and body["title"] == "未登录"
    english = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {expired}", **f.ENGLISH}
    )
    assert "expired" in f.assert_problem(english, 401, "auth.invalid_token")["detail"]


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "", "Bearer"])
async def test_garbage_token_is_401(client: httpx.AsyncClient, token: str) -> None:
    resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    f.assert_problem(resp, 401)


# -- accounts made by an admin ---------------------------------------------------------------


async def test_admin_creates_a_user_who_can_then_log_in(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    new = _new_user(roles=["science_reviewer", "creator"], disciplines=["ecology"])
    resp = await client.post("/api/v1/admin/users", json=new, headers=admin.auth)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["display_name"] == "张老师"
    assert "password" not in resp.text and "password_hash" not in created

    login = await f.login(client, new["username"], new["password"])
    assert login.status_code == 200, login.text
    me = (await _me(client, login.json()["access_token"])).json()
    assert me["id"] == created["id"]
    assert sorted(me["roles"]) == ["creator", "science_reviewer"]
    assert me["disciplines"] == ["ecology"]


async def test_non_admin_cannot_create_users(client: httpx.AsyncClient, services: Services) -> None:
    reviewer = await f.person(
        services, "political_reviewer", "science_reviewer", disciplines=("medicine",)
    )
    new = _new_user(roles=["admin"])
    resp = await client.post("/api/v1/admin/users", json=new, headers=reviewer.auth)
    f.assert_problem(resp, 403)
    f.assert_problem(await f.login(client, new["username"], new["password"]), 401)


async def test_duplicate_username_is_409(client: httpx.AsyncClient, services: Services) -> None:
    admin = await f.person(services, "admin")
    new = _new_user()
    first = await client.post("/api/v1/admin/users", json=new, headers=admin.auth)
    assert first.status_code == 201, first.text
    again = await client.post(
        "/api/v1/admin/users", json={**new, "password": "another password"}, headers=admin.auth
    )
    f.assert_problem(again, 409, "user.exists")
    # The first account is untouched: its password still works.
    assert (await f.login(client, new["username"], new["password"])).status_code == 200


async def test_unknown_role_is_422_naming_roles(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    new = _new_user(roles=["creator", "superuser"])
    body = f.assert_problem(
        await client.post("/api/v1/admin/users", json=new, headers=admin.in_english),
        422,
        "invalid",
    )
    assert body["field"] == "roles"
    assert "superuser" in body["detail"]
    assert not await _account_exists(services, new["username"])


async def test_science_reviewer_without_disciplines_is_422(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    new = _new_user(roles=["science_reviewer"], disciplines=[])
    body = f.assert_problem(
        await client.post("/api/v1/admin/users", json=new, headers=admin.auth), 422, "invalid"
    )
    assert body["field"] == "disciplines"
    assert not await _account_exists(services, new["username"])


async def test_a_discipline_not_on_the_list_is_422_naming_disciplines(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    new = _new_user(roles=["science_reviewer"], disciplines=["physics", "astrology"])
    body = f.assert_problem(
        await client.post("/api/v1/admin/users", json=new, headers=admin.in_english),
        422,
        "discipline.unknown",
    )
    assert body["field"] == "disciplines"
    assert "astrology" in body["detail"] and "physics" not in body["detail"]
    assert not await _account_exists(services, new["username"])


async def test_short_password_is_422(client: httpx.AsyncClient, services: Services) -> None:
    admin = await f.person(services, "admin")
    new = _new_user(password="short")
    body = f.assert_problem(
        await client.post("/api/v1/admin/users", json=new, headers=admin.auth),
        422,
        "validation_error",
    )
    assert body["field"] == "password"
    assert not await _account_exists(services, new["username"])


@pytest.mark.parametrize(
    "password",
    [
        *("        ", "12345678", "{username}", "password1", "iloveyou", "woaini1314"),
        *("Password123!", "Kepu2026!", "kepu2026!", "科普2026!!", "K3pu@2026", "{username}2026!"),
    ],
)
async def test_guessable_password_is_422_weak_password_and_no_account(
    client: httpx.AsyncClient, services: Services, password: str
) -> None:
    admin = await f.person(services, "admin")
    new = _new_user(roles=["creator"])
    new["password"] = password.format(username=new["username"])
    body = f.assert_problem(
        await client.post("/api/v1/admin/users", json=new, headers=admin.auth),
        422,
        "auth.weak_password",
    )
    assert body["field"] == "password"
    # Nothing was written: the name is still free.
    assert not await _account_exists(services, new["username"])
    again = {**new, "password": "mango-7-ridge"}
    assert (
        await client.post("/api/v1/admin/users", json=again, headers=admin.auth)
    ).status_code == 201


async def test_staff_accounts_need_a_stronger_password_than_creators(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    decent = "tulip-ox-9"  # fine for a creator; too short to guard a reviewer's account
    creator = await client.post(
        "/api/v1/admin/users",
        json=_new_user(roles=["creator"], password=decent),
        headers=admin.auth,
    )
    assert creator.status_code == 201, creator.text
    for roles in (["political_reviewer"], ["admin"], ["creator", "admin"]):
        staff = _new_user(roles=roles, password=decent)
        body = f.assert_problem(
            await client.post("/api/v1/admin/users", json=staff, headers=admin.in_english),
            422,
            "auth.weak_password",
        )
        assert "12 characters" in body["detail"]
        assert not await _account_exists(services, staff["username"])


@pytest.mark.parametrize(
    "roles", [["viewer"], ["creator"], ["political_reviewer"], ["science_reviewer"], ["admin"]]
)
@pytest.mark.parametrize("password", ["Kepu2026!", "科普Kepu2026!!", "KepuAdmin2026!"])
async def test_the_service_name_and_a_year_is_a_weak_password_for_every_role(
    client: httpx.AsyncClient, services: Services, roles: list[str], password: str
) -> None:
    admin = await f.person(services, "admin")
    disciplines = ["physics"] if roles == ["science_reviewer"] else []
    new = _new_user(roles=roles, password=password, disciplines=disciplines)
    body = f.assert_problem(
        await client.post("/api/v1/admin/users", json=new, headers=admin.auth),
        422,
        "auth.weak_password",
    )
    assert body["field"] == "password"
    assert not await _account_exists(services, new["username"])


# -- WeChat mini-program login ---------------------------------------------------------------


async def test_first_wechat_login_creates_a_viewer_and_creator(client: httpx.AsyncClient) -> None:
    resp = await _wechat(client, f"ok-{secrets.token_hex(6)}")
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["token_type"] == "bearer" and data["expires_in"] > 0
    assert data["created"] is True
    assert sorted(data["user"]["roles"]) == ["creator", "viewer"]

    me = await _me(client, data["access_token"])
    assert me.status_code == 200 and me.json()["id"] == data["user"]["id"]


async def test_second_wechat_login_finds_the_same_user(client: httpx.AsyncClient) -> None:
    ident = secrets.token_hex(6)
    first = await _wechat(client, f"ok-{ident}")
    second = await _wechat(client, f"ok-{ident}")
    assert first.status_code == second.status_code == 200, second.text
    assert second.json()["user"]["id"] == first.json()["user"]["id"]
    assert second.json()["created"] is False


async def test_wechat_login_never_returns_the_session_key(client: httpx.AsyncClient) -> None:
    resp = await _wechat(client, f"ok-{secrets.token_hex(6)}")
    assert resp.status_code == 200
    assert "session_key" not in resp.text
    assert wechat_stub.SESSION_KEY not in resp.text


@pytest.mark.parametrize("code", ["bad", "used"])
async def test_rejected_wechat_code_is_401(client: httpx.AsyncClient, code: str) -> None:
    f.assert_problem(await _wechat(client, code), 401, "auth.wechat_code_invalid")


async def test_wechat_rate_limit_is_429_with_retry_after(client: httpx.AsyncClient) -> None:
    resp = await _wechat(client, "limit")
    f.assert_problem(resp, 429, "auth.wechat_rate_limited")
    assert int(resp.headers["retry-after"]) > 0


@pytest.mark.parametrize("code", ["busy", "crash"])
async def test_wechat_down_is_503_with_retry_after(client: httpx.AsyncClient, code: str) -> None:
    resp = await _wechat(client, code)
    f.assert_problem(resp, 503, "auth.wechat_unavailable")
    assert int(resp.headers["retry-after"]) > 0


async def test_wechat_not_configured_is_its_own_503_without_retry_after(
    settings: Settings,
) -> None:
    # Retrying cannot help until an operator sets the app id and secret: no Retry-After, and a
    # code a client can tell apart from WeChat being down.
    bare = settings.model_copy(
        update={
            "wechat_appid": None,
            "wechat_secret": None,
            "run_embedded_worker": False,
            "queue_name": f"{settings.queue_name}-nowechat",
        }
    )
    async with serving(create_app(bare)) as client:
        resp = await _wechat(client, f"ok-{secrets.token_hex(6)}")
    body = f.assert_problem(resp, 503, "auth.wechat_not_configured")
    assert "retry-after" not in resp.headers
    assert body["detail"] == "微信登录尚未开通"


async def test_slow_wechat_is_503_not_a_hang(client: httpx.AsyncClient, settings: Settings) -> None:
    started = time.monotonic()
    resp = await _wechat(client, "slow")
    elapsed = time.monotonic() - started
    f.assert_problem(resp, 503)
    assert "retry-after" in resp.headers
    # The stub answers after 3 s; the client gives up after the configured timeout.
    assert elapsed < settings.wechat_timeout_s + 1.5


@pytest.mark.parametrize("code", ["", "   "])
async def test_empty_wechat_code_is_422(client: httpx.AsyncClient, code: str) -> None:
    body = f.assert_problem(await _wechat(client, code), 422, "validation_error")
    assert body["field"] == "code"


async def test_concurrent_first_wechat_logins_make_one_user(client: httpx.AsyncClient) -> None:
    code = f"ok-{secrets.token_hex(6)}"
    first, second = await asyncio.gather(_wechat(client, code), _wechat(client, code))
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert first.json()["user"]["id"] == second.json()["user"]["id"]
    assert sorted([first.json()["created"], second.json()["created"]]) == [False, True]


# -- the command line ------------------------------------------------------------------------


def _cli_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    assert settings.database_url and settings.redis_url and settings.jwt_secret
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "KEPU_DATA_DIR": str(data_dir),
        "KEPU_DATABASE_URL": settings.database_url,
        "KEPU_REDIS_URL": settings.redis_url,
        "KEPU_JWT_SECRET": settings.jwt_secret,
    }


async def _kepu(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    kepu = str(Path(sys.executable).parent / "kepu")
    return await asyncio.to_thread(
        subprocess.run,
        [kepu, *args],
        env=_cli_env(settings, cwd),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_cli_creates_a_staff_user_who_can_log_in(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    name, password = f"cli-{secrets.token_hex(4)}", "cli password 123"
    done = await _kepu(
        settings, tmp_path,
        "user", "create", name, "--password", password,
        "--role", "admin", "--role", "creator", "--discipline", "physics",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    login = await f.login(client, name, password)
    assert login.status_code == 200, login.text
    me = (await _me(client, login.json()["access_token"])).json()
    assert sorted(me["roles"]) == ["admin", "creator"]
    assert me["disciplines"] == ["physics"]


async def test_cli_unknown_role_exits_nonzero_and_creates_nothing(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    name, password = f"cli-{secrets.token_hex(4)}", "cli password 123"
    done = await _kepu(
        settings, tmp_path, "user", "create", name, "--password", password, "--role", "wizard"
    )
    assert done.returncode != 0
    assert "wizard" in done.stderr and "Traceback" not in done.stderr
    f.assert_problem(await f.login(client, name, password), 401, "auth.invalid_credentials")


async def test_cli_refuses_a_discipline_not_on_the_list_and_creates_nothing(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    name, password = f"cli-{secrets.token_hex(4)}", "cli password 123"
    done = await _kepu(
        settings, tmp_path,
        "user", "create", name, "--password", password,
        "--role", "science_reviewer", "--discipline", "astrology",
    )  # fmt: skip
    assert done.returncode != 0
    assert "astrology" in done.stderr and "Traceback" not in done.stderr
    f.assert_problem(await f.login(client, name, password), 401, "auth.invalid_credentials")


async def test_cli_refuses_a_weak_password_and_creates_nothing(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    name = f"cli-{secrets.token_hex(4)}"
    done = await _kepu(
        settings, tmp_path, "user", "create", name, "--password", "12345678", "--role", "admin"
    )
    assert done.returncode != 0
    assert "password" in done.stderr and "Traceback" not in done.stderr
    f.assert_problem(await f.login(client, name, "12345678"), 401, "auth.invalid_credentials")


async def test_wechat_login_and_bind_write_no_secret_code_or_session_key_to_the_log(
    client: httpx.AsyncClient, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    creator = await f.person(services, "creator")
    login_code = f"ok-{secrets.token_hex(6)}"
    bind_code = f"ok-{secrets.token_hex(6)}.u-{secrets.token_hex(4)}"
    with caplog.at_level(logging.DEBUG):
        assert (await _wechat(client, login_code)).status_code == 200
        bound = await client.post(
            "/api/v1/me/wechat", json={"code": bind_code}, headers=creator.auth
        )
        assert bound.status_code == 200, bound.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    # Both outbound calls are logged, only without their secrets.
    assert logged.count("jscode2session") >= 2
    for secret in (wechat_stub.SECRET, login_code, bind_code, wechat_stub.SESSION_KEY):
        assert secret not in logged
