"""The ``kepu`` command: serve, worker, db upgrade, user create, screening import, feeds
rebuild, stats export."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, NoReturn, TextIO

import typer
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts, screening, search, stats
from content.errors import DomainError
from content.models import Role
from content.seed import seed
from infra import datadir, db
from infra.logging import configure as configure_logging
from infra.redis import redis_url
from infra.sentinel import RedisRefused
from infra.services import open_services
from infra.settings import Settings, get_settings

app = typer.Typer(help="Kepu (科普): the backend of the science-popularization mini-program.")
db_app = typer.Typer(help="Database tasks.")
user_app = typer.Typer(help="Accounts.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
screening_app = typer.Typer(help="The screening dictionary and rumor library.")
app.add_typer(screening_app, name="screening")


def _settings() -> Settings:
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
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the configured database, with the reference data every installation has."""
    engine = db.make_engine(settings.resolved_database_url())
    try:
        async with db.make_sessionmaker(engine)() as session:
            await seed(session)
            yield session
    finally:
        await engine.dispose()


def _fail(message: str, exc: BaseException) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1) from exc


def _check_redis(settings: Settings, url: str) -> None:
    """Exit with one line if Redis is configured wrong (api.preflight)."""
    from api.preflight import check_redis

    try:
        asyncio.run(check_redis(settings, url))
    except RedisRefused as exc:
        _fail(f"cannot start: {exc}", exc)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[bool, typer.Option(help="run the job workers in this process")] = True,
) -> None:
    """Run the API (and, by default, the workers) — on embedded defaults unless configured."""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    update: dict[str, object] = {"run_embedded_worker": workers}
    if "public_api_base_url" not in settings.model_fields_set:
        # Local-disk upload URLs point back here unless a public address is configured.
        update["public_api_base_url"] = f"http://{host}:{port}"
    settings = settings.model_copy(update=update)
    # X-Forwarded-For is believed only from KEPU_FORWARDED_ALLOW_IPS (uvicorn's own default
    # would trust 127.0.0.1, so a local process could pose as any client to the rate limits).
    trusted = settings.forwarded_allow_ips
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(datadir.held(settings))
        except datadir.DataDirBusy as exc:
            typer.secho(f"cannot start: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from exc
        if settings.redis_url:  # the bundled Redis is this installation's alone
            _check_redis(settings, settings.redis_url)
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_config=None,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
        )


@app.command()
def worker() -> None:
    """Run job workers only (as many processes as needed, on the shared queue). It outlives
    Redis faults: it reconnects, with growing pauses, until Redis is back. SIGINT or SIGTERM
    stop it, handing its running jobs back to the queue."""
    import anyio

    from api.app import STORAGE_ROUTE
    from workers.supervisor import WorkerSupervisor, run_until_signalled

    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    with redis_url(settings) as url:
        _check_redis(settings, url)
        supervisor = WorkerSupervisor(
            settings,
            url,
            lambda: open_services(settings, storage_route=STORAGE_ROUTE, redis=url),
        )
        anyio.run(run_until_signalled, supervisor)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations (and the reference data every installation starts with)."""
    settings = _settings()
    db.upgrade(settings.resolved_database_url(), revision)

    async def _seed() -> None:
        async with _session(settings) as session:
            await session.commit()

    asyncio.run(_seed())
    typer.echo(f"database at {revision}")


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
    settings = _settings()
    db.upgrade(settings.resolved_database_url())

    async def _create() -> str:
        async with _session(settings) as session:
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
        _fail(f"error: {exc.message}", exc)
    typer.echo(f"created user {username} ({user_id}) with roles {', '.join(r.value for r in role)}")


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
        _fail("error: --rumors or --claims, not both", ValueError())
    settings = _settings()
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
        async with _session(settings) as session:
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
        _fail(f"cannot read {path}: {exc}", exc)
    except DomainError as exc:
        _fail(f"error: {exc.message}", exc)


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


feeds_app = typer.Typer(help="Feeds in Redis.")
app.add_typer(feeds_app, name="feeds")


@feeds_app.command("rebuild")
def feeds_rebuild() -> None:
    """Refill every feed in Redis from the database (after Redis lost its data)."""
    from api.app import STORAGE_ROUTE
    from workers.feeds import rebuild_feeds

    settings = _settings()

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


stats_app = typer.Typer(help="Statistics (docs/stats.md).")
app.add_typer(stats_app, name="stats")


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
    settings = _settings()
    try:
        days = stats.day_range(from_, to)
    except DomainError as exc:
        _fail(f"error: {exc.message}", exc)

    async def _export(handle: TextIO) -> int:
        writer = csv.writer(handle)
        writer.writerow(stats.COLUMNS)
        written = 0
        async with _session(settings) as session:
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
            _fail(f"cannot write {out}: {exc}", exc)
    typer.secho(f"{count} rows, {days.first} to {days.last}", err=True)


search_app = typer.Typer(help="The search index.")
app.add_typer(search_app, name="search")


@search_app.command("rebuild")
def search_rebuild() -> None:
    """Index every published content again (after an upgrade that made search, or to repair the
    index); contents no longer published are forgotten. Search keeps answering meanwhile."""
    settings = _settings()
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
