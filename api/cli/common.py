"""What every command shares: the settings (with readable configuration errors), a session on
the configured database, and how a command fails."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import NoReturn

import typer
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from content.seed import seed
from infra import db
from infra.settings import Settings, get_settings


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        # Each error's own message only: pydantic's full text repeats the input, secrets included.
        for error in exc.errors():
            name = "KEPU_" + "_".join(map(str, error["loc"])).upper() + ": " if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            typer.secho(f"configuration error: {name}{message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


@contextlib.asynccontextmanager
async def open_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the configured database, with the reference data every installation has."""
    engine = db.make_engine(settings.resolved_database_url())
    try:
        async with db.make_sessionmaker(engine)() as session:
            await seed(session)
            yield session
    finally:
        await engine.dispose()


def fail(message: str, exc: BaseException) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1) from exc
