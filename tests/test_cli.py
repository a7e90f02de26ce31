"""The `kepu` command as a newcomer meets it: `--help` that says what to type, and a password
that can be typed at a hidden prompt instead of on the command line."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from content import accounts, search
from content.errors import Unauthenticated
from content.models import (
    Content,
    ContentStatus,
    ContentType,
    Revision,
    RevisionState,
    Role,
    User,
)
from infra import db
from infra.clock import utcnow
from infra.settings import get_settings

PASSWORD = "a long pass phrase"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    """A runner on a throw-away SQLite data dir, whatever KEPU_ variables the shell has."""
    for name in [n for n in os.environ if n.startswith("KEPU_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KEPU_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "250")  # one line per option, whatever the terminal
    monkeypatch.chdir(tmp_path)  # no .env from the repository
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _can_log_in(username: str, password: str) -> bool:
    async def check() -> bool:
        engine = db.make_engine(get_settings().resolved_database_url())
        try:
            async with db.make_sessionmaker(engine)() as session:
                await accounts.authenticate(session, username, password)
                return True
        except Unauthenticated:
            return False
        finally:
            await engine.dispose()

    return asyncio.run(check())


def test_user_create_help_lists_the_roles_and_example_disciplines(cli: CliRunner) -> None:
    done = cli.invoke(app, ["user", "create", "--help"])
    assert done.exit_code == 0, done.output
    for role in Role:
        assert role.value in done.output
    for discipline in accounts.DISCIPLINE_EXAMPLES:
        assert discipline in done.output
    assert "omit it to be asked" in done.output


def test_user_create_asks_for_the_password_twice_when_it_is_not_given(cli: CliRunner) -> None:
    done = cli.invoke(
        app, ["user", "create", "alice", "--role", "creator"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert done.exit_code == 0, done.output
    assert PASSWORD not in done.output  # hidden while typed
    assert "created user alice" in done.output
    assert _can_log_in("alice", PASSWORD)


def test_user_create_creates_nobody_when_the_two_passwords_differ(cli: CliRunner) -> None:
    done = cli.invoke(
        app, ["user", "create", "bob", "--role", "admin"], input=f"{PASSWORD}\nanother one\n"
    )
    assert done.exit_code != 0
    assert "do not match" in done.output
    assert not (Path("var") / "kepu.sqlite3").exists() or not _can_log_in("bob", PASSWORD)


def test_user_create_takes_the_password_from_the_command_line_without_asking(
    cli: CliRunner,
) -> None:
    done = cli.invoke(
        app, ["user", "create", "carol", "--role", "admin", "--password", PASSWORD], input=""
    )
    assert done.exit_code == 0, done.output
    assert "Password" not in done.output
    assert _can_log_in("carol", PASSWORD)


def test_user_create_refuses_an_unknown_role_by_listing_the_known_ones(cli: CliRunner) -> None:
    done = cli.invoke(app, ["user", "create", "dave", "--role", "wizard", "--password", PASSWORD])
    assert done.exit_code != 0
    assert "wizard" in done.output and "political_reviewer" in done.output
    assert not (Path("var") / "kepu.sqlite3").exists()  # refused before touching anything


def test_screening_import_reports_bad_rows_imports_the_rest_and_a_dry_run_writes_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    csv_file = tmp_path / "terms.csv"
    csv_file.write_text(
        "term,category,severity,pinyin\n"
        "灵能水疗,fraud,warn,\n"
        "！！！,fraud,warn,\n"  # nothing to match
        "灵能水疗,fraud,block,\n"  # the same term again
        "量子灵修术,pseudoscience,warn,yes\n",
        encoding="utf-8",
    )
    dry = cli.invoke(app, ["screening", "import", str(csv_file), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "4 rows: would import 2, 1 duplicates, 1 refused" in dry.output
    assert "line 3: refused: term.nothing_to_match" in dry.output
    assert "line 4: duplicate" in dry.output
    done = cli.invoke(app, ["screening", "import", str(csv_file)])
    assert done.exit_code == 0, done.output
    assert "4 rows: imported 2, 1 duplicates, 1 refused" in done.output
    again = cli.invoke(app, ["screening", "import", str(csv_file)])
    assert "imported 0, 3 duplicates" in again.output  # the first import was written once
    missing = tmp_path / "bad.csv"
    missing.write_text("word,severity\n好,warn\n", encoding="utf-8")
    refused = cli.invoke(app, ["screening", "import", str(missing)])
    assert refused.exit_code == 1 and "missing: term, category" in refused.output


async def _catalogue() -> tuple[str, str]:
    """A published content the index never saw (written before search existed), and a taken-down
    one the index still holds: (published id, taken-down id)."""
    engine = db.make_engine(get_settings().resolved_database_url())
    try:
        async with db.make_sessionmaker(engine)() as session:
            author = User(display_name="作者", roles=[Role.creator], disciplines=[])
            session.add(author)
            await session.flush()
            made = []
            for status, title in (
                (ContentStatus.published, "光合作用的秘密"),
                (ContentStatus.taken_down, "光合作用的谣言"),
            ):
                content = Content(type=ContentType.article, owner_id=author.id, status=status)
                session.add(content)
                await session.flush()
                revision = Revision(
                    content_id=content.id, number=1, author_id=author.id, title=title,
                    summary="植物", body="叶绿素吸收阳光。", discipline="biology",
                    state=RevisionState.published,
                )  # fmt: skip
                session.add(revision)
                await session.flush()
                content.live_revision_id = revision.id
                content.published_at = utcnow()
                if status == ContentStatus.taken_down:
                    await search.index(session, content.id, revision, utcnow())
                made.append(content.id)
            await session.commit()
            return made[0], made[1]
    finally:
        await engine.dispose()


async def _found(q: str) -> list[str]:
    engine = db.make_engine(get_settings().resolved_database_url())
    try:
        async with db.make_sessionmaker(engine)() as session:
            page = await search.search(session, q)
            return [hit.card.content.id for hit in page.hits]
    finally:
        await engine.dispose()


def test_search_rebuild_indexes_what_is_published_and_forgets_the_rest(cli: CliRunner) -> None:
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
    published, taken_down = asyncio.run(_catalogue())
    assert asyncio.run(_found("光合作用")) == []  # never indexed (the other is not published)

    done = cli.invoke(app, ["search", "rebuild"])
    assert done.exit_code == 0, done.output
    assert "indexing published contents" in done.output  # the progress bar
    assert "search index rebuilt: 1 published contents" in done.output
    assert asyncio.run(_found("光合作用")) == [published]
    assert asyncio.run(_found("谣言")) == []
    assert taken_down != published
