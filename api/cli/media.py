"""`kepu media reprocess`: ready videos made again (after the rendition plan changed), while
they stay published and served from their current files."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from api.cli.common import load_settings, open_session
from content import media
from infra import db

media_app = typer.Typer(help="Media files.")


@media_app.command("reprocess")
def reprocess(
    media_id: Annotated[
        list[str] | None, typer.Option("--id", help="a media id; repeatable")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="every ready video")] = False,
    missing: Annotated[
        bool,
        typer.Option(
            "--missing",
            help="ready videos lacking a rendition the current plan makes for their size",
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list them; change nothing")] = False,
) -> None:
    """Queue ready videos for processing again. Each stays ready and served from its current
    renditions until the new ones are made; then they replace them and the old files go. A
    video whose processing is queued already is skipped. Needs a running worker."""
    if sum((bool(media_id), every, missing)) != 1:
        typer.secho("give exactly one of --id, --all, --missing", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    settings = load_settings()
    db.upgrade(settings.resolved_database_url())

    async def _run() -> tuple[list[str], list[str], set[str]]:
        async with open_session(settings) as session:
            chosen = await media.reprocess_targets(
                session, media_id or [], every=every, missing=missing
            )
            busy = await media.reprocess_queued(session, chosen)
            if dry_run:
                return chosen, [], busy
            queued: list[str] = []
            with typer.progressbar(chosen, label="queueing videos") as bar:
                for one in bar:
                    # One short transaction each: the job is written with its request.
                    if one not in busy and await media.request_reprocess(session, one):
                        queued.append(one)
                    await session.commit()
            return chosen, queued, busy

    chosen, queued, busy = asyncio.run(_run())
    unknown = sorted(set(media_id or []) - set(chosen))
    for one in unknown:
        typer.secho(f"not a ready video, skipped: {one}", fg=typer.colors.YELLOW, err=True)
    for one in chosen:
        state = "queued already" if one in busy else ("would queue" if dry_run else "queued")
        if dry_run or one in busy or one in queued:
            typer.echo(f"{one}\t{state}")
    typer.echo(f"{len(chosen)} videos chosen, {len(queued)} queued, {len(busy)} queued already")
