"""`kepu backup` and `kepu restore`: the embedded default's data directory in one archive."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import fail, load_settings
from infra import backup as archives
from infra import datadir
from infra.settings import Settings


def _embedded_only(settings: Settings, verb: str) -> None:
    """These commands know the embedded default's files; elsewhere the services' own tools do."""
    if settings.database_url is not None:
        fail(
            f"cannot {verb}: KEPU_DATABASE_URL is set, so the database is not in the data "
            "directory; back it up with pg_dump / pg_restore (docs/operations.md)",
            ValueError(),
        )
    if settings.uses_object_storage:
        fail(
            f"cannot {verb}: KEPU_S3_ENDPOINT is set, so media is in the bucket, not the data "
            "directory; mirror the bucket instead (docs/operations.md)",
            ValueError(),
        )


def backup(
    archive: Annotated[Path, typer.Argument(help="the archive to write (a .tar)")],
) -> None:
    """Write the data directory (an online copy of the database, media/, the generated JWT
    secret) to one archive; `kepu serve` may keep running."""
    settings = load_settings()
    _embedded_only(settings, "back up")
    data_dir = settings.data_dir
    if archive.exists() and archive.is_dir():
        fail(f"cannot back up: {archive} is a directory; name the archive file", ValueError())
    try:
        total = archives.backup_size(data_dir)
        with typer.progressbar(length=total, label="backing up") as bar:
            summary = archives.create(data_dir, archive, bar.update)
    except archives.BackupError as exc:
        fail(f"cannot back up: {exc}", exc)
    except OSError as exc:
        fail(f"cannot back up to {archive}: {exc.strerror or exc}", exc)
    typer.echo(
        f"backed up {data_dir} to {archive}: database {summary.database_bytes} bytes, "
        f"{summary.files} media files, archive {summary.bytes} bytes"
    )


def restore(
    archive: Annotated[Path, typer.Argument(help="an archive written by `kepu backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace the data directory's database and media")
    ] = False,
) -> None:
    """Put a backup back into the data directory (KEPU_DATA_DIR), after checking every byte of
    the archive. Refused while a `kepu serve` uses the directory, and over existing data
    unless --force."""
    settings = load_settings()
    _embedded_only(settings, "restore")
    data_dir = settings.data_dir
    with contextlib.ExitStack() as stack:
        try:
            total = archives.archive_size(archive)
            stack.enter_context(datadir.locked(data_dir))
        except datadir.DataDirBusy as exc:
            fail(f"cannot restore: {exc}", exc)
        except archives.BackupError as exc:
            fail(f"cannot restore: {exc}", exc)
        if not force and not archives.is_empty(data_dir):
            fail(
                f"cannot restore: {data_dir.resolve()} already holds data; restore into an empty "
                "KEPU_DATA_DIR, or add --force to replace its database and media",
                ValueError(),
            )
        try:
            with typer.progressbar(length=total, label="restoring") as bar:
                summary = archives.restore(archive, data_dir, bar.update)
        except archives.BackupError as exc:
            fail(f"cannot restore: {exc}", exc)
        except OSError as exc:
            fail(f"cannot restore into {data_dir}: {exc.strerror or exc}", exc)
    typer.echo(
        f"restored {archive} into {data_dir}: database {summary.database_bytes} bytes, "
        f"{summary.files} media files; `kepu serve` migrates it forward if needed"
    )
