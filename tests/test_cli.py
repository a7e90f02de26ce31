"""The `kepu` command as a newcomer meets it: `--help` that says what to type, and a password
that can be typed at a hidden prompt instead of on the command line."""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import Iterator
from datetime import date
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
    Media,
    MediaKind,
    MediaStatus,
    Revision,
    RevisionState,
    Role,
    StatsContentDay,
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


def _rolled_up(days: list[str]) -> str:
    """A creator's content with a rollup row on each of ``days``; returns the content's id."""

    async def write() -> str:
        engine = db.make_engine(get_settings().resolved_database_url())
        try:
            async with db.make_sessionmaker(engine)() as session:
                owner = await accounts.create_staff_user(
                    session, username="maker", password=PASSWORD, display_name="maker",
                    roles=[Role.creator],
                )  # fmt: skip
                content = Content(type=ContentType.article, owner_id=owner.id)
                session.add(content)
                await session.flush()
                for i, day in enumerate(days, 1):
                    session.add(StatsContentDay(
                        day=date.fromisoformat(day), content_id=content.id, owner_id=owner.id,
                        type=ContentType.article, views=10 * i, viewers=i, likes=i,
                    ))  # fmt: skip
                await session.commit()
                return content.id
        finally:
            await engine.dispose()

    return asyncio.run(write())


def test_stats_export_writes_a_row_per_day_and_content_and_refuses_a_reversed_range(
    cli: CliRunner, tmp_path: Path
) -> None:
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
    content_id = _rolled_up(["2026-11-30", "2026-12-01", "2026-12-03"])
    out = tmp_path / "stats.csv"
    done = cli.invoke(app, ["stats", "export", "--from", "2026-12-01", "--to", "2026-12-03",
                            "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "exporting days" in done.output and "2 rows, 2026-12-01 to 2026-12-03" in done.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["day"], r["content_id"], r["views"], r["likes"]) for r in rows] == [
        ("2026-12-01", content_id, "20", "2"),
        ("2026-12-03", content_id, "30", "3"),
    ]
    backwards = tmp_path / "backwards.csv"
    refused = cli.invoke(app, ["stats", "export", "--from", "2026-12-03", "--to", "2026-12-01",
                               "--out", str(backwards)])  # fmt: skip
    assert refused.exit_code == 1 and "from must not be after to" in refused.output
    assert not backwards.exists()


def test_screening_import_of_claim_patterns_refuses_bad_patterns_and_imports_the_rest(
    cli: CliRunner, tmp_path: Path
) -> None:
    csv_file = tmp_path / "claims.csv"
    csv_file.write_text(
        "family,pattern,severity,message\n"
        "stop_medicine,[不用|不必]…打胰岛素,warn,胰岛素不能随意停用\n"
        "weight,药,warn,太宽\n"  # matches most texts
        "weight,[不节食|不运动]…瘦,block,减肥要科学\n"
        "stop_medicine,[不必|不用]…打 胰岛素,warn,同一个模式\n",  # the same pattern again
        encoding="utf-8",
    )
    done = cli.invoke(app, ["screening", "import", str(csv_file), "--claims"])
    assert done.exit_code == 0, done.output
    assert "4 rows: imported 2, 1 duplicates, 1 refused" in done.output
    assert "line 3: refused: claim.pattern_too_broad" in done.output
    again = cli.invoke(app, ["screening", "import", str(csv_file), "--claims"])
    assert "imported 0, 3 duplicates" in again.output


async def _catalogue() -> tuple[str, str]:
    """A published content the index never saw (written before search existed), and a taken-down
    one the index still holds: (published id, taken-down id)."""
    engine = db.make_engine(get_settings().resolved_database_url())
    try:
        async with db.make_sessionmaker(engine)() as session:
            author = User(display_name="作者", roles=[Role.creator], disciplines=[])
            session.add(author)
            await session.flush()
            # The published one's cover reads a word its text does not have.
            cover = Media(
                owner_id=author.id, kind=MediaKind.image, status=MediaStatus.ready,
                object_key="k", size=1, text_segments=[{"text": "叶绿体", "box": [0, 0, 1, 1]}],
            )  # fmt: skip
            session.add(cover)
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
                    cover_media_id=cover.id if status == ContentStatus.published else None,
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
    assert asyncio.run(_found("叶绿体")) == [published]  # the text read off its cover
    assert asyncio.run(_found("谣言")) == []
    assert taken_down != published
