"""`kepu user …`: accounts."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from api.cli.common import fail, load_settings, open_session
from content import accounts
from content.errors import DomainError
from content.models import Role
from infra import db

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
