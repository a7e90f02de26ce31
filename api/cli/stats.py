"""`kepu stats export`: the daily rollups as CSV."""

from __future__ import annotations

import asyncio
import csv
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer

from api.cli.common import fail, load_settings, open_session
from content import stats
from content.errors import DomainError
from infra import db

stats_app = typer.Typer(help="Statistics (docs/stats.md).")


@stats_app.command("export")
def stats_export(
    from_: Annotated[
        str | None, typer.Option("--from", help="first day, e.g. 2026-12-01 (30 days ago)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="last day, included (today)")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="CSV file to write (standard output)")
    ] = None,
) -> None:
    """Write the daily rollups as CSV: one row per day and content with activity, the numbers
    /admin/stats sums (days in China time; at most 366 at once)."""
    settings = load_settings()
    try:
        days = stats.day_range(from_, to)
    except DomainError as exc:
        fail(f"error: {exc.message}", exc)

    async def _export(handle: TextIO) -> int:
        writer = csv.writer(handle)
        writer.writerow(stats.COLUMNS)
        written = 0
        async with open_session(settings) as session:
            with typer.progressbar(days.each(), label="exporting days", file=sys.stderr) as bar:
                for day in bar:
                    rows = await stats.content_day_rows(session, day)
                    writer.writerows(rows)
                    written += len(rows)
        return written

    db.upgrade(settings.resolved_database_url())
    if out is None:
        count = asyncio.run(_export(sys.stdout))
    else:
        try:
            with out.open("w", encoding="utf-8", newline="") as handle:
                count = asyncio.run(_export(handle))
        except OSError as exc:
            fail(f"cannot write {out}: {exc}", exc)
    typer.secho(f"{count} rows, {days.first} to {days.last}", err=True)
