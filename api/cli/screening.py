"""`kepu screening import`: the screening dictionary and rumor library from CSV."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import fail, load_settings, open_session
from content import screening
from content.errors import DomainError
from infra import db

screening_app = typer.Typer(help="The screening dictionary and rumor library.")


@screening_app.command("import")
def screening_import(
    path: Annotated[Path, typer.Argument(help="CSV file; see docs/screening.md for columns")],
    rumors: Annotated[bool, typer.Option("--rumors", help="import rumors, not terms")] = False,
    claims: Annotated[
        bool, typer.Option("--claims", help="import claim patterns, not terms")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="write nothing; show what recent submissions would get"),
    ] = False,
    recent: Annotated[int, typer.Option(help="recent submissions the dry run re-screens")] = 200,
) -> None:
    """Import screening terms (or rumors, or claim patterns) from CSV: bad rows and duplicates
    are reported, the rest imported; every process uses the new list from its next screening on."""
    if rumors and claims:
        fail("error: --rumors or --claims, not both", ValueError())
    settings = load_settings()
    db.upgrade(settings.resolved_database_url())
    columns: tuple[str, ...]
    if claims:
        columns, run = screening.CLAIM_COLUMNS, screening.import_claim_patterns
    elif rumors:
        columns, run = screening.RUMOR_COLUMNS, screening.import_rumors
    else:
        columns, run = screening.TERM_COLUMNS, screening.import_terms
    rows = _read_rows(path, columns)

    async def _import() -> screening.ImportReport:
        async with open_session(settings) as session:
            with typer.progressbar(length=len(rows), label="importing") as bar:
                report = await run(
                    session, rows, dry_run=dry_run, recent=recent, progress=bar.update
                )
                if not dry_run:
                    await session.commit()
            return report

    _print_import(asyncio.run(_import()), dry_run)


def _read_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return screening.read_rows(handle, columns)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        fail(f"cannot read {path}: {exc}", exc)
    except DomainError as exc:
        fail(f"error: {exc.message}", exc)


def _print_import(report: screening.ImportReport, dry_run: bool) -> None:
    for line, why in report.bad:
        typer.secho(f"line {line}: refused: {why}", fg=typer.colors.YELLOW, err=True)
    for line, why in report.duplicates:
        typer.secho(f"line {line}: duplicate: {why}", fg=typer.colors.YELLOW, err=True)
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{report.rows} rows: {verb} {report.added}, {len(report.duplicates)} duplicates, "
        f"{len(report.bad)} refused"
    )
    if dry_run:
        typer.echo(
            f"re-screened {report.checked} recent submissions; {len(report.changes)} change:"
        )
        for change in report.changes:
            excerpts = "、".join(f"「{f.excerpt}」({f.check}, {f.severity})"
                                for f in change.new_findings)  # fmt: skip
            typer.echo(f"  {change.content_id} 《{change.title}》 {change.before} → "
                       f"{change.after}: {excerpts}")  # fmt: skip
