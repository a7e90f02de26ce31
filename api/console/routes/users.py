"""Console pages: 用户 — operators find accounts, create staff accounts, change someone's roles
and disciplines, disable or enable an account, set a new password. The rules are the accounts
services' (content/accounts), the same ones the admin API and `kepu user create` call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from api.console import names, pages
from api.console.auth import Operator
from api.deps import SessionDep
from content import accounts, kit
from content.errors import Invalid

router = APIRouter()
PAGE_SIZE = 50
ROLE_NAMES = names.ROLES
# What the list shows by default: everyone who works in the console.
STAFF, EVERYONE = "staff", "all"
FILTERS: dict[str, str] = {STAFF: "全部员工（审核员和运营）", EVERYONE: "全部用户", **ROLE_NAMES}


def _roles_of(choice: str) -> tuple[str, ...]:
    if choice == STAFF:
        return tuple(accounts.STAFF_ROLES)
    if choice == EVERYONE:
        return ()
    return (choice,)  # a role, or something the service refuses by name


@router.get("/users")
async def users_index(
    request: Request,
    user: Operator,
    session: SessionDep,
    q: Annotated[str, Query(max_length=64)] = "",
    role: Annotated[str, Query(max_length=32)] = STAFF,
    cursor: Annotated[str | None, Query(max_length=26)] = None,
) -> Response:
    rows, next_cursor = await accounts.list_users(
        session, query=q, roles=_roles_of(role), cursor=cursor, limit=PAGE_SIZE
    )
    disciplines = {d.slug: d.name for d in await kit.list_disciplines(session)}
    return pages.render(
        request,
        "users_list.html",
        rows=rows,
        next_cursor=next_cursor,
        q=q,
        role=role,
        cursor=cursor,
        filters=FILTERS,
        role_names=ROLE_NAMES,
        disciplines=disciplines,
    )


@router.get("/users/new")
async def new_user_form(request: Request, user: Operator, session: SessionDep) -> Response:
    return pages.render(
        request,
        "users_new.html",
        staff_roles=[(r.value, ROLE_NAMES[r]) for r in accounts.STAFF_ROLES],
        disciplines=await kit.list_disciplines(session),
        min_chars=accounts.STAFF.min_chars,
    )


@router.post("/users")
async def create_user(
    user: Operator,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    display_name: Annotated[str, Form(max_length=200)] = "",
    roles: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006 - FastAPI copies it
    disciplines: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
) -> Response:
    created = await accounts.create_staff_user(
        session,
        username=username.strip(),
        password=password,
        display_name=display_name or None,
        roles=roles,
        disciplines=disciplines,
    )
    return pages.redirect(f"/console/users/{created.id}", f"已创建账号 {created.username}")


@router.get("/users/{user_id}")
async def user_detail(
    request: Request, user: Operator, session: SessionDep, user_id: str
) -> Response:
    shown = await accounts.get_user(session, user_id)
    return pages.render(
        request,
        "users_detail.html",
        shown=shown,
        is_me=shown.id == user.id,
        all_roles=list(ROLE_NAMES.items()),
        role_names=ROLE_NAMES,
        disciplines=await kit.list_disciplines(session),
        min_chars=accounts.STAFF.min_chars,
    )


def _back(user_id: str, text: str) -> Response:
    return pages.redirect(f"/console/users/{user_id}", text)


@router.post("/users/{user_id}/roles")
async def change_roles(
    user: Operator,
    session: SessionDep,
    user_id: str,
    roles: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006
    disciplines: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
) -> Response:
    await accounts.set_roles(session, user, user_id, roles, disciplines)
    return _back(user_id, "已保存角色和学科")


@router.post("/users/{user_id}/disable")
async def disable(user: Operator, session: SessionDep, user_id: str) -> Response:
    await accounts.set_active(session, user, user_id, False)
    return _back(user_id, "已停用：该账号的控制台会话和 API 访问立即失效")


@router.post("/users/{user_id}/enable")
async def enable(user: Operator, session: SessionDep, user_id: str) -> Response:
    await accounts.set_active(session, user, user_id, True)
    return _back(user_id, "已重新启用")


@router.post("/users/{user_id}/password")
async def reset_password(
    user: Operator,
    session: SessionDep,
    user_id: str,
    password: Annotated[str, Form(max_length=256)],
    password_again: Annotated[str, Form(max_length=256)],
) -> Response:
    if password != password_again:
        raise Invalid("the two passwords differ", field="password_again")
    await accounts.reset_password(session, user, user_id, password)
    return _back(user_id, "已设置新密码：下次登录起生效，旧密码不再可用")
