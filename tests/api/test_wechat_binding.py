"""Binding a WeChat login to an account an operator made: the creator logs in with the password
once, binds the code from wx.login, and from then on WeChat logs into that account. The local
WeChat stub plays WeChat's servers (tests/wechat_stub.py)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from sqlmodel import select

from api.app import create_app
from content.models import User
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import serving

ME = "/api/v1/me"


def _ident() -> str:
    return secrets.token_hex(6)


async def _bind(client: httpx.AsyncClient, who: f.Person, code: str) -> httpx.Response:
    return await client.post(f"{ME}/wechat", json={"code": code}, headers=who.in_english)


async def _wechat_login(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    resp = await client.post("/api/v1/auth/wechat", json={"code": code})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def _identity(services: Services, user_id: str) -> tuple[str | None, str | None]:
    async with services.read_sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user.wechat_openid, user.wechat_unionid


async def _bound(client: httpx.AsyncClient, who: f.Person) -> bool:
    return bool((await client.get(ME, headers=who.auth)).json()["wechat_bound"])


async def test_a_creator_binds_wechat_once_and_then_logs_in_with_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    ident, union = _ident(), _ident()
    resp = await _bind(client, creator, f"ok-{ident}.u-{union}")
    assert resp.status_code == 200, resp.text
    assert resp.json()["wechat_bound"] is True and resp.json()["id"] == creator.id
    assert await _identity(services, creator.id) == (f"o-{ident}", f"u-{union}")

    login = await _wechat_login(client, f"ok-{ident}")
    assert login["created"] is False
    assert (login["user"]["id"], login["user"]["username"]) == (creator.id, creator.username)
    # Binding the same identity again changes nothing.
    assert (await _bind(client, creator, f"ok-{ident}")).status_code == 200
    assert await _identity(services, creator.id) == (f"o-{ident}", f"u-{union}")


async def test_an_identity_another_account_holds_is_409_and_nothing_moves(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    ident = _ident()
    other = await _wechat_login(client, f"ok-{ident}")  # the person used the app before
    resp = await _bind(client, creator, f"ok-{ident}")
    f.assert_problem(resp, 409, "wechat.bound_elsewhere")
    assert not await _bound(client, creator)
    assert (await _wechat_login(client, f"ok-{ident}"))["user"]["id"] == other["user"]["id"]


async def test_a_unionid_another_account_holds_is_409_too(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    union = _ident()
    await _wechat_login(client, f"ok-{_ident()}.u-{union}")
    resp = await _bind(client, creator, f"ok-{_ident()}.u-{union}")
    f.assert_problem(resp, 409, "wechat.bound_elsewhere")
    assert await _identity(services, creator.id) == (None, None)


async def test_an_account_bound_to_one_wechat_must_unbind_before_binding_another(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    first, second = _ident(), _ident()
    assert (await _bind(client, creator, f"ok-{first}")).status_code == 200
    f.assert_problem(await _bind(client, creator, f"ok-{second}"), 409, "wechat.already_bound")
    assert await _identity(services, creator.id) == (f"o-{first}", None)

    unbound = await client.delete(f"{ME}/wechat", headers=creator.auth)
    assert unbound.status_code == 204
    assert await _identity(services, creator.id) == (None, None)
    assert (await _bind(client, creator, f"ok-{second}")).status_code == 200
    # The first WeChat identity now makes an account of its own.
    assert (await _wechat_login(client, f"ok-{first}"))["created"] is True


async def test_wechat_is_never_unbound_from_an_account_without_a_password(
    client: httpx.AsyncClient,
) -> None:
    ident = _ident()
    login = await _wechat_login(client, f"ok-{ident}")
    auth = {"Authorization": f"Bearer {login['access_token']}"}
    resp = await client.delete(f"{ME}/wechat", headers=auth)
    f.assert_problem(resp, 409, "wechat.only_login")
    assert (await client.get(ME, headers=auth)).json()["wechat_bound"] is True


async def test_a_rejected_code_binds_nothing(client: httpx.AsyncClient, services: Services) -> None:
    creator = await f.person(services, "creator")
    # 422, not 401: the caller's own token is fine, and a client must not log out over it.
    refused = f.assert_problem(await _bind(client, creator, "bad"), 422, "wechat.code_invalid")
    assert refused["field"] == "code"
    f.assert_problem(await _bind(client, creator, ""), 422)
    assert await _identity(services, creator.id) == (None, None)


async def test_a_first_wechat_login_keeps_the_unionid_wechat_sends(
    client: httpx.AsyncClient, services: Services
) -> None:
    ident, union = _ident(), _ident()
    login = await _wechat_login(client, f"ok-{ident}.u-{union}")
    user_id = str(login["user"]["id"])
    assert await _identity(services, user_id) == (f"o-{ident}", f"u-{union}")
    async with services.read_sessions() as session:
        found = await session.exec(select(User.id).where(User.wechat_unionid == f"u-{union}"))
        assert found.all() == [user_id]


async def test_wechat_not_configured_is_its_own_503_without_retry_after(
    services: Services, settings: Settings
) -> None:
    unset = settings.model_copy(
        update={"wechat_secret": None, "queue_name": f"{settings.queue_name}-nowechat"}
    )
    async with serving(create_app(unset)) as client:
        creator = await f.person(services, "creator")
        for resp in (
            await client.post(
                "/api/v1/auth/wechat", json={"code": f"ok-{_ident()}"}, headers=f.ENGLISH
            ),
            await _bind(client, creator, f"ok-{_ident()}"),
        ):
            body = f.assert_problem(resp, 503, "auth.wechat_not_configured")
            assert "KEPU_WECHAT_SECRET" in body["detail"]
            assert "retry-after" not in resp.headers  # waiting will not help
    assert await _identity(services, creator.id) == (None, None)
