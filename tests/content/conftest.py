"""Fixtures for content/ rules that must hold on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from content.seed import seed
from infra import db
from infra.services import Services


@pytest.fixture(scope="session")
async def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    """A migrated, seeded SQLite database, as the embedded default has it."""
    path: Path = tmp_path_factory.mktemp("sqlite") / "kepu.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(db.upgrade, url)
    engine = db.make_engine(url)
    async with db.make_sessionmaker(engine)() as session:
        await seed(session)
        await session.commit()
    yield engine
    await engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
async def either_session(
    request: pytest.FixtureRequest, services: Services, sqlite_engine: AsyncEngine
) -> AsyncIterator[AsyncSession]:
    """A rolled-back write session on PostgreSQL, then on SQLite: the same rule tried on each."""
    maker = (
        services.write_sessions
        if request.param == "postgresql"
        else db.make_sessionmaker(sqlite_engine)
    )
    async with maker() as session:
        yield session
        await session.rollback()
