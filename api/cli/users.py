"""`kepu user …`: accounts."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable
from typing import Annotated

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from api.cli.common import fail, load_settings, open_session
from content import accounts, drain, erasure
from content.errors import DomainError
from content.models import Role
from infra import db
from infra.redis import redis_url
from infra.services import open_services

user_app = typer.Typer(help="Accounts.")


_Roles = Annotated[
    list[Role], typer.Option(help="repeatable; a science_reviewer also needs a --discipline")
]
_Password = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help=f"at least {accounts.STAFF.min_chars} characters for staff; omit it to be "
        "asked (hidden, twice) instead of leaving it in the shell's history",
    ),
]
_Disciplines = Annotated[
    list[str] | None,
    typer.Option(
        help="repeatable; a discipline on the list (GET /api/v1/disciplines), such as "
        + ", ".join(accounts.DISCIPLINE_EXAMPLES)
        + ": science reviewers review the content of their disciplines"
    ),
]


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="3–64 letters, digits, '_', '.' or '-'")],
    role: _Roles,
    password: _Password,
    discipline: _Disciplines = None,
    display_name: Annotated[str | None, typer.Option(help="default: the username")] = None,
) -> None:
    """Create a staff account, e.g. the first admin."""
    settings = load_settings()
    db.upgrade(settings.resolved_database_url())

    async def _create() -> str:
        async with open_session(settings) as session:
            user = await accounts.create_staff_user(
                session,
                username=username,
                password=password,
                display_name=display_name,
                roles=[r.value for r in role],
                disciplines=discipline or [],
            )
            await session.commit()
            return user.id

    try:
        user_id = asyncio.run(_create())
    except DomainError as exc:
        fail(f"error: {exc.message}", exc)
    typer.echo(f"created user {username} ({user_id}) with roles {', '.join(r.value for r in role)}")


@user_app.command("purge")
def user_purge(
    ref: Annotated[str, typer.Argument(metavar="USER", help="the account's id or username")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Erase one person's data on request (PIPL): their contents end and lose their words, their
    comments, reactions, follows, views, shares and notifications go (others' counters
    corrected), the account is anonymised and its tokens stop working. Cannot be undone."""
    from api.app import STORAGE_ROUTE

    settings = load_settings()
    if not yes:
        typer.confirm(f"erase every personal datum of {ref!r}? this cannot be undone", abort=True)
    operator = _operator()
    db.upgrade(settings.resolved_database_url())

    async def _purge() -> erasure.Erased:
        with redis_url(settings) as url:
            opening = open_services(settings, storage_route=STORAGE_ROUTE, redis=url)
            async with opening as services:
                with typer.progressbar(erasure.STEPS, label="erasing", file=sys.stderr) as bar:

                    def work(session: AsyncSession) -> Awaitable[erasure.Erased]:
                        return erasure.erase_person(session, ref, operator, lambda _: bar.update(1))

                    erased: erasure.Erased = await drain.broadcasting(services).write(work)
                    return erased

    try:
        erased = asyncio.run(_purge())
    except Exception as exc:  # the services' task group wraps what the work raised
        refusal = _domain_error(exc)
        if refusal is None:
            raise
        fail(f"error: {refusal.message}", exc)
    typer.echo(f"erased user {erased.user_id}:")
    for name, count in erased.counts.items():
        typer.echo(f"  {name}: {count}")


def _domain_error(exc: BaseException) -> DomainError | None:
    """The refusal ``exc`` is, or holds inside the exception groups of a task group."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if (found := _domain_error(inner)) is not None:
                return found
    return None


def _operator() -> str:
    """Who runs the command, for the audit row: the host's login name (a container's user may
    have none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
