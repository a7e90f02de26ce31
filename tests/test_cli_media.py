"""`kepu media reprocess`: which videos it picks (`--id`, `--all`, `--missing`), that a dry run
writes nothing, and that running it twice queues each video once. On a throw-away SQLite data
dir with no worker, so the queued jobs stay in the outbox to be counted."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlmodel import select
from typer.testing import CliRunner

from api.cli import app
from content import jobs
from content.models import JobOutbox, Media, MediaKind, MediaStatus
from infra import db
from infra.settings import get_settings
from tests import factories as f


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CliRunner]:
    for name in [n for n in os.environ if n.startswith("KEPU_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KEPU_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)  # no .env from the repository
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def _kepu(cli: CliRunner, args: list[str]) -> Result:
    """The command in a thread: it runs its own event loop."""
    return await asyncio.to_thread(cli.invoke, app, args)


def _rendition(label: str) -> dict[str, object]:
    return {"label": label, "key": f"media/x/{label}.mp4", "width": 1, "height": 1, "bitrate": 1}


async def _media_rows() -> dict[str, str]:
    """A complete ready video, one lacking its 720p, a pending video and a ready image."""
    url = get_settings().resolved_database_url()
    await asyncio.to_thread(db.upgrade, url)  # it runs its own event loop
    engine = db.make_engine(url)
    try:
        async with db.make_sessionmaker(engine)() as session:
            owner = await f.user_in_session(session, "creator")

            def media(kind: MediaKind, status: MediaStatus, labels: list[str]) -> Media:
                row = Media(owner_id=owner.id, kind=kind, status=status, object_key="k", size=1)
                row.width, row.height = 1280, 720
                row.renditions = [_rendition(label) for label in labels]
                session.add(row)
                return row

            made = {
                "complete": media(MediaKind.video, MediaStatus.ready, ["720p", "480p"]),
                "lacking": media(MediaKind.video, MediaStatus.ready, ["480p"]),
                "pending": media(MediaKind.video, MediaStatus.pending, []),
                "image": media(MediaKind.image, MediaStatus.ready, []),
            }
            await session.commit()
            return {name: row.id for name, row in made.items()}
    finally:
        await engine.dispose()


async def _written() -> tuple[list[str], set[str]]:
    """The processing jobs in the outbox, and the media marked for reprocessing."""
    engine = db.make_engine(get_settings().resolved_database_url())
    try:
        async with db.make_sessionmaker(engine)() as session:
            queued = await session.exec(
                select(JobOutbox.subject).where(JobOutbox.name == jobs.PROCESS_MEDIA)
            )
            marked = await session.exec(
                select(Media.id).where(Media.reprocess_requested_at.is_not(None))  # type: ignore[union-attr]
            )
            return sorted(queued.all()), set(marked.all())
    finally:
        await engine.dispose()


async def test_missing_lists_only_videos_lacking_a_planned_rendition_and_a_dry_run_writes_nothing(
    cli: CliRunner,
) -> None:
    ids = await _media_rows()

    result = await _kepu(cli, ["media", "reprocess", "--missing", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert f"{ids['lacking']}\twould queue" in result.output
    assert ids["complete"] not in result.output
    assert "1 videos chosen, 0 queued, 0 queued already" in result.output
    assert await _written() == ([], set())


async def test_running_it_twice_queues_each_ready_video_once(cli: CliRunner) -> None:
    ids = await _media_rows()
    videos = sorted([ids["complete"], ids["lacking"]])

    first = await _kepu(cli, ["media", "reprocess", "--all"])
    again = await _kepu(cli, ["media", "reprocess", "--all"])

    assert first.exit_code == 0 and "2 videos chosen, 2 queued, 0 queued already" in first.output
    assert again.exit_code == 0 and "2 videos chosen, 0 queued, 2 queued already" in again.output
    assert await _written() == (videos, set(videos))


async def test_an_id_that_is_not_a_ready_video_is_named_and_skipped(cli: CliRunner) -> None:
    ids = await _media_rows()

    result = await _kepu(
        cli, ["media", "reprocess", "--id", ids["pending"], "--id", ids["image"], "--id", "nope"]
    )

    assert result.exit_code == 0, result.output
    for name in ("pending", "image"):
        assert f"not a ready video, skipped: {ids[name]}" in result.output
    assert "0 videos chosen, 0 queued" in result.output
    assert await _written() == ([], set())


async def test_it_refuses_to_guess_which_videos_without_exactly_one_choice(cli: CliRunner) -> None:
    for args in ([], ["--all", "--missing"]):
        result = await _kepu(cli, ["media", "reprocess", *args])
        assert result.exit_code == 2
        assert "give exactly one of --id, --all, --missing" in result.output
