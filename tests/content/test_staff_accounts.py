"""Operators managing accounts, tried on the accounts services in a rolled-back session: the list
(search, role filter, pages), roles and disciplines, disabling, a new password, and no operator
locking themself out."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts
from content.errors import Forbidden, Invalid, NotFound, Unauthenticated
from content.models import Role, User
from infra.services import Services
from tests.factories import PASSWORD, person, user_in_session

NEW_PASSWORD = "violet tractor harbour lantern"


async def named(session: AsyncSession, *roles: str, name: str, **kw: object) -> User:
    user = await user_in_session(session, *roles, **kw)  # type: ignore[arg-type]
    user.display_name = name
    session.add(user)
    await session.flush()
    return user


async def test_the_list_searches_names_filters_roles_and_pages(
    either_session: AsyncSession,
) -> None:
    session = either_session
    tag = secrets.token_hex(3)
    admin = await named(session, "admin", name=f"运营 Zhang {tag}")
    science = await named(
        session, "science_reviewer", name=f"科学 zhang {tag}", disciplines=("medicine",)
    )
    viewer = await named(session, "viewer", name=f"观众 ZHANG {tag}")
    # Any case, either field; the newest first.
    rows, _ = await accounts.list_users(session, query=f"zhang {tag}")
    assert [u.id for u in rows] == [viewer.id, science.id, admin.id]
    rows, _ = await accounts.list_users(session, query=science.username or "")
    assert [u.id for u in rows] == [science.id]
    # Staff only: any of the roles asked for.
    rows, _ = await accounts.list_users(session, query=tag, roles=accounts.STAFF_ROLES)
    assert {u.id for u in rows} == {admin.id, science.id}
    rows, _ = await accounts.list_users(session, query=tag, roles=["admin"])
    assert [u.id for u in rows] == [admin.id]
    # LIKE's wildcards are text.
    assert (await accounts.list_users(session, query=f"%{tag}"))[0] == []
    # Pages follow each other without gaps or repeats.
    first, cursor = await accounts.list_users(session, query=tag, limit=2)
    assert [u.id for u in first] == [viewer.id, science.id] and cursor == science.id
    rest, end = await accounts.list_users(session, query=tag, cursor=cursor, limit=2)
    assert [u.id for u in rest] == [admin.id] and end is None


async def test_the_list_refuses_an_unknown_role(session: AsyncSession) -> None:
    with pytest.raises(Invalid) as refused:
        await accounts.list_users(session, roles=["root"])
    assert refused.value.field == "roles"


async def test_roles_and_disciplines_are_set_as_asked(session: AsyncSession) -> None:
    admin = await user_in_session(session, "admin")
    target = await user_in_session(session, "political_reviewer")
    user = await accounts.set_roles(
        session, admin, target.id, ["political_reviewer", "science_reviewer"], ["Physics"]
    )
    assert user.roles == [Role.political_reviewer, Role.science_reviewer]
    assert user.disciplines == ["physics"]


@pytest.mark.parametrize(
    ("roles", "disciplines", "field", "code"),
    [
        (["root"], [], "roles", "invalid"),
        (["science_reviewer"], ["alchemy"], "disciplines", "discipline.unknown"),
        (["science_reviewer"], [], "disciplines", "invalid"),
        (["science_reviewer"], ["  "], "disciplines", "invalid"),
    ],
)
async def test_bad_roles_or_disciplines_change_nothing(
    session: AsyncSession, roles: list[str], disciplines: list[str], field: str, code: str
) -> None:
    admin = await user_in_session(session, "admin")
    target = await user_in_session(session, "political_reviewer")
    with pytest.raises(Invalid) as refused:
        await accounts.set_roles(session, admin, target.id, roles, disciplines)
    assert (refused.value.field, refused.value.code) == (field, code)
    again = await session.get(User, target.id, populate_existing=True)
    assert again is not None and again.roles == [Role.political_reviewer]


async def test_an_operator_cannot_drop_their_own_admin_role_or_disable_themself(
    session: AsyncSession,
) -> None:
    admin = await user_in_session(session, "admin")
    with pytest.raises(Forbidden) as dropped:
        await accounts.set_roles(session, admin, admin.id, ["political_reviewer"])
    assert dropped.value.code == "user.self_lockout"
    with pytest.raises(Forbidden) as disabled:
        await accounts.set_active(session, admin, admin.id, False)
    assert disabled.value.code == "user.self_lockout"
    me = await session.get(User, admin.id, populate_existing=True)
    assert me is not None and me.is_active and Role.admin in me.roles
    # Adding a role to oneself, keeping admin, is fine.
    await accounts.set_roles(session, admin, admin.id, ["admin", "political_reviewer"])


async def test_only_an_active_admin_changes_accounts(session: AsyncSession) -> None:
    reviewer = await user_in_session(session, "political_reviewer")
    target = await user_in_session(session, "creator")
    with pytest.raises(Forbidden):
        await accounts.set_active(session, reviewer, target.id, False)
    with pytest.raises(NotFound):
        admin = await user_in_session(session, "admin")
        await accounts.set_active(session, admin, "01JZZZZZZZZZZZZZZZZZZZZZZZ", False)


async def test_a_disabled_account_is_refused_at_once_and_comes_back_when_enabled(
    session: AsyncSession,
) -> None:
    admin = await user_in_session(session, "admin")
    target = await user_in_session(session, "political_reviewer")
    await accounts.set_active(session, admin, target.id, False)
    with pytest.raises(Unauthenticated):  # what every API request asks
        await accounts.get_active_user(session, target.id)
    await accounts.set_active(session, admin, target.id, False)  # again: nothing changes
    await accounts.set_active(session, admin, target.id, True)
    assert (await accounts.get_active_user(session, target.id)).id == target.id


async def test_a_new_password_works_and_the_old_one_no_longer_does(
    session: AsyncSession,
) -> None:
    admin = await user_in_session(session, "admin")
    target = await accounts.create_staff_user(
        session,
        username=f"rv-{secrets.token_hex(4)}",
        password=PASSWORD,
        display_name=None,
        roles=["political_reviewer"],
    )
    assert target.username
    await accounts.reset_password(session, admin, target.id, NEW_PASSWORD)
    assert (await accounts.authenticate(session, target.username, NEW_PASSWORD)).id == target.id
    with pytest.raises(Unauthenticated):
        await accounts.authenticate(session, target.username, PASSWORD)


@pytest.mark.parametrize("weak", ["short", "password1234", "reviewer-kepu-2026"])
async def test_a_weak_new_password_is_refused_by_the_staff_policy(
    session: AsyncSession, weak: str
) -> None:
    admin = await user_in_session(session, "admin")
    target = await user_in_session(session, "science_reviewer", disciplines=("medicine",))
    with pytest.raises(Invalid) as refused:
        await accounts.reset_password(session, admin, target.id, weak)
    assert refused.value.code == "auth.weak_password"
    again = await session.get(User, target.id, populate_existing=True)
    assert again is not None and again.password_hash is None


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    services: Services,
) -> None:
    """Each may demote the other, not both: the rows are locked, the second sees it lost."""
    first = await person(services, "admin")
    second = await person(services, "admin")
    async with services.write_sessions() as one, services.write_sessions() as two:
        a = await one.get(User, first.id)
        b = await two.get(User, second.id)
        assert a is not None and b is not None
        await accounts.set_roles(one, a, second.id, ["political_reviewer"])
        racing = asyncio.create_task(accounts.set_roles(two, b, first.id, ["political_reviewer"]))
        await asyncio.sleep(0.3)
        assert not racing.done()  # waits for the first to commit
        await one.commit()
        with pytest.raises(Forbidden):
            await racing
        await two.rollback()
    async with services.write_sessions() as check:
        kept = await check.get(User, first.id)
        assert kept is not None and Role.admin in kept.roles
