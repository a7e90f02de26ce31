"""`kepu feeds rebuild` and `kepu search rebuild`: what is derived from the database, made
again from it."""

from __future__ import annotations

import asyncio

import typer

from api.cli.common import load_settings
from content import search
from infra import db
from infra.redis import redis_url
from infra.services import open_services

feeds_app = typer.Typer(help="Feeds in Redis.")


@feeds_app.command("rebuild")
def feeds_rebuild() -> None:
    """Refill every feed in Redis from the database (after Redis lost its data)."""
    from api.app import STORAGE_ROUTE
    from workers.feeds import rebuild_feeds

    settings = load_settings()

    async def _rebuild() -> int:
        with redis_url(settings) as url:
            opening = open_services(settings, storage_route=STORAGE_ROUTE, redis=url)
            async with opening as services:
                with typer.progressbar(length=1, label="rebuilding feeds") as bar:

                    def progress(done: int, total: int) -> None:
                        bar.length = total
                        bar.update(done - bar.pos)

                    return await rebuild_feeds(services, progress)

    count = asyncio.run(_rebuild())
    typer.echo(f"feeds rebuilt: {count} published items")


search_app = typer.Typer(help="The search index.")


@search_app.command("rebuild")
def search_rebuild() -> None:
    """Index every published content again (after an upgrade that made search, or to repair the
    index); contents no longer published are forgotten. Search keeps answering meanwhile."""
    settings = load_settings()
    url = settings.resolved_database_url()
    db.upgrade(url)

    async def _rebuild() -> int:
        engine = db.make_engine(url)
        try:
            with typer.progressbar(length=1, label="indexing published contents") as bar:

                def progress(done: int, total: int) -> None:
                    bar.length = max(total, 1)
                    bar.update(done - bar.pos)

                return await search.rebuild(db.make_sessionmaker(engine), progress)
        finally:
            await engine.dispose()

    count = asyncio.run(_rebuild())
    typer.echo(f"search index rebuilt: {count} published contents")
