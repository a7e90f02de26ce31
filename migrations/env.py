"""Alembic environment: runs migrations on the async engine for SQLite and PostgreSQL alike."""

import asyncio
import logging.config
from collections.abc import Callable

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import content.models  # noqa: F401  (registers every table on SQLModel.metadata)
from infra.db import make_engine
from infra.settings import Settings

config = context.config
if config.config_file_name and config.attributes.get("configure_logging", True):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url()


# Search's engine-specific parts (content/search/): SQLite's FTS5 table and its shadow tables are
# made by the migration alone, and the GIN index of the words exists on PostgreSQL only.
_SEARCH_FTS = "searchfts"
_POSTGRES_ONLY_INDEXES = frozenset({"ix_searchdocument_words"})


def _include(dialect: str) -> Callable[..., bool]:
    def include_object(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        if type_ == "table" and name and name.startswith(_SEARCH_FTS):
            return False
        return not (type_ == "index" and name in _POSTGRES_ONLY_INDEXES and dialect != "postgresql")

    return include_object


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include(connection.dialect.name),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
