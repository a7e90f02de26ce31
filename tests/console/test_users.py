"""The operators' users and roles pages over HTTP: the list (search, role filter, pages), creating
a staff account, changing roles, disabling and enabling, a new password; bad input answered with
a message and nothing written; a handful of queries a page, however many users there are."""

from __future__ import annotations

import secrets

import httpx
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import col, select

from content.models import Role, User
from infra.services import Services
from tests.console.harness import Console, queries
from tests.console.operating import stored
from tests.factories import PASSWORD, Person, login, person

NEW_PASSWORD = "violet tractor harbour lantern"


async def operator(console: Console, services: Services) -> Person:
    admin = await person(services, "admin")
    await console.login(admin)
    return admin


async def count_named(services: Services, username: str) -> int:
    async with services.write_sessions() as session:
        found = await session.exec(
            select(func.count()).select_from(User).where(col(User.username) == username)
        )
        return found.one()


def form(username: str, **overrides: object) -> dict[str, object]:
    return {
        "username": username,
        "display_name": "新同事",
        "password": NEW_PASSWORD,
        "roles": ["science_reviewer"],
        "disciplines": ["medicine"],
        **overrides,
    }


async def after(console: Console, resp: httpx.Response) -> str:
    """The page a form's answer leads to, with its message."""
    assert resp.status_code == 303, resp.text
    return (await console.get(resp.headers["location"])).text


async def test_the_list_shows_staff_searches_and_filters(
    console: Console, services: Services
) -> None:
    await operator(console, services)
    tag = secrets.token_hex(3)
    science = await person(
        services, "science_reviewer", disciplines=("medicine",), name=f"sci{tag}"
    )
    creator = await person(services, "creator", name=f"cre{tag}")
    page = await console.get("/console/users", params={"q": tag})
    assert page.status_code == 200
    assert science.username in page.text and "科学审核员" in page.text and "医学" in page.text
    assert creator.username not in page.text  # staff by default
    everyone = await console.get("/console/users", params={"q": tag, "role": "all"})
    assert science.username in everyone.text and creator.username in everyone.text
    creators = await console.get("/console/users", params={"q": f"CRE{tag}", "role": "creator"})
    assert creator.username in creators.text and science.username not in creators.text
    bad = await console.get("/console/users", params={"role": "root"})
    assert bad.status_code == 422 and bad.headers["x-console-error"] == "422 invalid"


async def test_the_list_pages_by_cursor(console: Console, services: Services) -> None:
    from api.console.routes import users as route

    await operator(console, services)
    tag = secrets.token_hex(3)
    made = [await person(services, "political_reviewer", name=f"pg{tag}") for _ in range(3)]
    old, route.PAGE_SIZE = route.PAGE_SIZE, 2
    try:
        first = await console.get("/console/users", params={"q": tag})
        assert made[2].username in first.text and made[0].username not in first.text
        nxt = first.text.split('href="/console/users?')[-1].split('"')[0].replace("&amp;", "&")
        assert "cursor=" in nxt
        second = await console.get("/console/users?" + nxt)
        assert made[0].username in second.text and made[2].username not in second.text
        assert "回到第一页" in second.text
    finally:
        route.PAGE_SIZE = old


async def test_pages_cost_a_handful_of_queries_however_many_users(
    console: Console, services: Services
) -> None:
    admin = await operator(console, services)
    target = await person(services, "science_reviewer", disciplines=("medicine",))
    counts = []
    for _ in range(2):
        with queries(services) as seen:
            assert (await console.get("/console/users", params={"role": "all"})).status_code == 200
        counts.append(len(seen))
        for _ in range(8):
            await person(services, "political_reviewer")
    assert counts[0] == counts[1] and counts[0] <= 3, counts
    for url in (f"/console/users/{target.id}", f"/console/users/{admin.id}", "/console/users/new"):
        with queries(services) as seen:
            assert (await console.get(url)).status_code == 200
        assert len(seen) <= 3, (url, seen)


async def test_an_operator_creates_a_science_reviewer(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    await operator(console, services)
    username = f"new-{secrets.token_hex(4)}"
    await console.get("/console/users/new")
    resp = await console.post("/console/users", form(username), referer="/console/users/new")
    user_id = resp.headers["location"].rsplit("/", 1)[-1]
    page = await after(console, resp)
    assert f"已创建账号 {username}" in page and "科学审核员" in page and "医学" in page
    user = await stored(services, User, user_id)
    assert user.roles == [Role.science_reviewer] and user.disciplines == ["medicine"]
    assert (await login(client, username, NEW_PASSWORD)).status_code == 200


async def test_a_taken_username_says_so_and_writes_nothing(
    console: Console, services: Services
) -> None:
    await operator(console, services)
    taken = await person(services, "political_reviewer")
    await console.get("/console/users/new")
    resp = await console.post("/console/users", form(taken.username), referer="/console/users/new")
    assert resp.headers["x-console-error"] == "409 user.exists"
    assert resp.headers["location"] == "/console/users/new"
    assert "该用户名已被使用" in await after(console, resp)
    assert await count_named(services, taken.username) == 1
    assert (await stored(services, User, taken.id)).roles == [Role.political_reviewer]


async def test_a_double_submitted_create_makes_one_user(
    console: Console, services: Services
) -> None:
    await operator(console, services)
    username = f"twice-{secrets.token_hex(4)}"
    await console.get("/console/users/new")
    first = await console.post("/console/users", form(username), referer="/console/users/new")
    second = await console.post("/console/users", form(username), referer="/console/users/new")
    assert first.status_code == 303 and "x-console-error" not in first.headers
    assert second.headers["x-console-error"] == "409 user.exists"
    assert await count_named(services, username) == 1


async def test_bad_input_when_creating_is_named_and_nothing_is_written(
    console: Console, services: Services
) -> None:
    await operator(console, services)
    await console.get("/console/users/new")
    cases = [
        ({"password": "kepu12345678"}, "422 auth.weak_password", "密码太容易被猜到"),
        ({"password": "short"}, "422 auth.weak_password", "密码太容易被猜到"),
        ({"roles": ["root"]}, "422 invalid", "roles"),
        ({"disciplines": ["alchemy"]}, "422 discipline.unknown", "disciplines"),
        ({"disciplines": []}, "422 invalid", "disciplines"),
        ({"username": "a b"}, "422 invalid", "username"),
        ({"username": ""}, "422 validation_error", "username"),
        ({"display_name": "长" * 65}, "422 invalid", "display_name"),
        ({"display_name": "长" * 201}, "422 validation_error", "display_name"),
    ]
    for overrides, error, shown in cases:
        fields = {**form(f"bad-{secrets.token_hex(4)}"), **overrides}
        username = str(fields["username"])
        resp = await console.post("/console/users", fields, referer="/console/users/new")
        assert resp.headers.get("x-console-error") == error, overrides
        assert shown in await after(console, resp), overrides
        assert await count_named(services, username) == 0, overrides


async def test_a_refused_create_comes_back_filled_escaped_and_once_but_no_password(
    console: Console, services: Services
) -> None:
    await operator(console, services)
    await console.get("/console/users/new")
    username = f"kept-{secrets.token_hex(4)}"
    typed = form(
        username,
        display_name='新<b>"同事"</b>',
        roles=["science_reviewer", "admin"],
        disciplines=["physics", "medicine"],
        password="kepu12345678",  # refused: too easy to guess
    )
    resp = await console.post("/console/users", typed, referer="/console/users/new")
    assert resp.headers["x-console-error"] == "422 auth.weak_password"
    page = await after(console, resp)
    assert f'value="{username}"' in page
    assert 'value="新&lt;b&gt;&#34;同事&#34;&lt;/b&gt;"' in page and "<b>" not in page
    for box in ("role-science_reviewer", "role-admin", "disc-physics", "disc-medicine"):
        assert f'id="{box}"' in page and checked(page, box), box
    for box in ("role-political_reviewer", "disc-biology"):
        assert not checked(page, box), box
    assert "kepu12345678" not in page
    again = (await console.get("/console/users/new")).text
    assert username not in again and "同事" not in again and not checked(again, "role-admin")
    assert await count_named(services, username) == 0


def checked(page: str, box_id: str) -> bool:
    """Whether the checkbox ``box_id`` is ticked on the page."""
    start = page.index(f'id="{box_id}"')
    return " checked" in page[start : page.index(">", start)]


async def test_refused_roles_come_back_as_ticked_once(console: Console, services: Services) -> None:
    await operator(console, services)
    target = await person(services, "political_reviewer")
    url = f"/console/users/{target.id}"
    await console.get(url)
    resp = await console.post(
        f"{url}/roles", {"roles": ["science_reviewer", "admin"], "disciplines": []}, referer=url
    )
    assert resp.headers["x-console-error"] == "422 invalid"
    page = await after(console, resp)
    assert checked(page, "role-science_reviewer") and checked(page, "role-admin")
    assert not checked(page, "role-political_reviewer") and not checked(page, "disc-physics")
    again = (await console.get(url)).text  # once: then the account's own roles again
    assert checked(again, "role-political_reviewer") and not checked(again, "role-admin")
    assert (await stored(services, User, target.id)).roles == [Role.political_reviewer]


async def test_html_in_a_display_name_is_shown_as_text(
    console: Console, services: Services
) -> None:
    await operator(console, services)
    evil = '<script>alert("x")</script><b>粗</b>'
    username = f"evil-{secrets.token_hex(4)}"
    await console.get("/console/users/new")
    resp = await console.post(
        "/console/users",
        form(username, display_name=evil, roles=["political_reviewer"], disciplines=[]),
        referer="/console/users/new",
    )
    detail = await after(console, resp)
    listed = (await console.get("/console/users", params={"q": username})).text
    for page in (detail, listed):
        assert "<script>alert" not in page and "<b>粗</b>" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;粗&lt;/b&gt;" in page


async def test_roles_change_and_an_unknown_role_changes_nothing(
    console: Console, services: Services
) -> None:
    await operator(console, services)
    target = await person(services, "political_reviewer")
    url = f"/console/users/{target.id}"
    await console.get(url)
    resp = await console.post(
        f"{url}/roles",
        {"roles": ["political_reviewer", "science_reviewer"], "disciplines": ["physics"]},
        referer=url,
    )
    assert "已保存角色和学科" in await after(console, resp)
    user = await stored(services, User, target.id)
    assert user.roles == [Role.political_reviewer, Role.science_reviewer]
    assert user.disciplines == ["physics"]
    for data, error in (
        ({"roles": ["admin", "root"]}, "422 invalid"),
        ({"roles": ["science_reviewer"], "disciplines": ["alchemy"]}, "422 discipline.unknown"),
        ({"roles": ["science_reviewer"]}, "422 invalid"),
    ):
        resp = await console.post(f"{url}/roles", data, referer=url)
        assert resp.headers.get("x-console-error") == error, data
        assert (await stored(services, User, target.id)).roles == user.roles


async def test_an_operator_cannot_lock_themself_out(console: Console, services: Services) -> None:
    admin = await operator(console, services)
    url = f"/console/users/{admin.id}"
    page = await console.get(url)
    assert "这是你自己的账号" in page.text
    resp = await console.post(f"{url}/disable", referer=url)
    assert resp.headers["x-console-error"] == "403 user.self_lockout"
    assert "不能停用自己的账号" in await after(console, resp)
    resp = await console.post(f"{url}/roles", {"roles": ["political_reviewer"]}, referer=url)
    assert resp.headers["x-console-error"] == "403 user.self_lockout"
    me = await stored(services, User, admin.id)
    assert me.is_active and me.roles == [Role.admin]
    assert (await console.get("/console/users")).status_code == 200  # still in


async def test_disabling_ends_console_sessions_and_api_access_at_once(
    console: Console, services: Services, app: FastAPI, client: httpx.AsyncClient
) -> None:
    await operator(console, services)
    target = await person(services, "political_reviewer")
    async with Console(app) as theirs:
        await theirs.login(target)
        assert (await theirs.get("/console/review")).status_code == 200
        assert (await client.get("/api/v1/me", headers=target.auth)).status_code == 200
        url = f"/console/users/{target.id}"
        await console.get(url)
        resp = await console.post(f"{url}/disable", referer=url)
        assert "已停用" in await after(console, resp)
        assert not (await stored(services, User, target.id)).is_active
        # Their very next request: sent to log in, the token refused; logging in again refused.
        gone = await theirs.get("/console/review")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/console/login")
        assert (await client.get("/api/v1/me", headers=target.auth)).status_code == 401
        assert (await theirs.login(target)).status_code == 401
        # Enabled again: they log in as before.
        await console.get(url)
        resp = await console.post(f"{url}/enable", referer=url)
        assert "已重新启用" in await after(console, resp)
        assert (await theirs.login(target)).status_code == 303
        assert (await client.get("/api/v1/me", headers=target.auth)).status_code == 200


async def test_a_new_password_works_at_the_next_login_and_the_old_one_does_not(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    await operator(console, services)
    target = await person(services, "science_reviewer", disciplines=("medicine",))
    url = f"/console/users/{target.id}"
    await console.get(url)
    before = (await stored(services, User, target.id)).password_hash
    for data, error in (
        ({"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"}, "422 invalid"),
        ({"password": "kepu2026kepu", "password_again": "kepu2026kepu"}, "422 auth.weak_password"),
        (
            {"password": target.username, "password_again": target.username},
            "422 auth.weak_password",
        ),
    ):
        resp = await console.post(f"{url}/password", data, referer=url)
        assert resp.headers.get("x-console-error") == error, data
        assert (await stored(services, User, target.id)).password_hash == before
    resp = await console.post(
        f"{url}/password", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}, referer=url
    )
    page = await after(console, resp)
    assert "已设置新密码" in page and NEW_PASSWORD not in page
    assert (await login(client, target.username, NEW_PASSWORD)).status_code == 200
    assert (await login(client, target.username, PASSWORD)).status_code == 401


async def test_a_missing_user_is_a_page_saying_so(console: Console, services: Services) -> None:
    await operator(console, services)
    resp = await console.get("/console/users/01JZZZZZZZZZZZZZZZZZZZZZZZ")
    assert resp.status_code == 404 and "找不到" in resp.text
