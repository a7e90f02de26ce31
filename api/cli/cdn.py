"""``kepu cdn check``: after a takedown, whether the CDN still serves any of a content's public
URLs (the takedown drill in docs/operations.md)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import httpx
import typer

from infra import cdn

cdn_app = typer.Typer(help="The CDN in front of published media (docs/cdn.md).")


@cdn_app.command("check")
def check(
    urls_file: Annotated[
        str, typer.Argument(help="a file of URLs, one per line (`-`: standard input)")
    ],
) -> None:
    """Ask the CDN, as a viewer would, for each URL that should be gone. Exit status 0 when
    every one answers 403, 404 or 410; 1 when some are still served (listed); 2 when some
    could not be checked."""
    text = sys.stdin.read() if urls_file == "-" else _read(Path(urls_file))
    urls = [line.strip() for line in text.splitlines() if line.strip()]
    if not urls:
        typer.secho("no URLs to check", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    with typer.progressbar(length=len(urls), label="checking", file=sys.stderr) as bar:
        checked = asyncio.run(_check(urls, bar.update))
    for url in checked.served:
        typer.echo(f"still served: {url}")
    for url, why in checked.unknown:
        typer.echo(f"could not tell ({why}): {url}")
    typer.echo(f"{len(checked.gone)} gone, {len(checked.served)} still served, "
               f"{len(checked.unknown)} unknown")  # fmt: skip
    if checked.served:
        raise typer.Exit(1)
    if checked.unknown:
        raise typer.Exit(2)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        typer.secho(f"cannot read {path}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


async def _check(urls: list[str], progress: Callable[[int], object]) -> cdn.Checked:
    async with httpx.AsyncClient(follow_redirects=True) as http:
        return await cdn.check_gone(http, urls, progress)
