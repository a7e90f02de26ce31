"""`kepu backup` and `kepu restore` on the embedded defaults: a running server's data directory
(a published article, a published video with its renditions) into one archive, and back into
another directory, from which the API serves the same things to the same tokens."""

from __future__ import annotations

import asyncio
import io
import os
import tarfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.app import create_app
from api.cli import app as kepu
from infra import backup, datadir
from infra.settings import get_settings
from tests import factories as f
from tests.helpers import embedded_settings, load_media, serving
from tests.media_files import video


@dataclass(frozen=True)
class Served:
    """What the source server published, as a viewer and its creator saw it there."""

    archive: Path
    article_id: str
    video_id: str
    creator: f.Person
    article: dict[str, Any]
    rendition: bytes  # the first rendition of the video, as served


def _kepu(data_dir: Path, *args: str, **env: str) -> Result:
    """`kepu …` as an operator types it, with KEPU_DATA_DIR (and ``env``) and nothing else
    configured."""
    saved = {n: os.environ.pop(n) for n in [n for n in os.environ if n.startswith("KEPU_")]}
    os.environ.update(KEPU_DATA_DIR=str(data_dir), **env)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(kepu, list(args))
    finally:
        for name in [n for n in os.environ if n.startswith("KEPU_")]:
            del os.environ[name]
        os.environ.update(saved)
        get_settings.cache_clear()


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    source = tmp_path_factory.mktemp("source")
    clip = video(tmp_path_factory.mktemp("clip") / "clip.mp4", 640, 360, seconds=1)
    application = create_app(embedded_settings(source))
    async with serving(application) as client:
        services = application.state.services
        crew = await f.crew(services)
        article_id = await f.publish(client, crew)
        media_id = await f.upload(client, crew.creator, clip.read_bytes(), "video/mp4", "c.mp4")
        ready = await f.settled_media(client, crew.creator, media_id, within=90)
        assert ready["status"] == "ready", ready
        video_id = await f.publish(client, crew, type="video", media_id=media_id, body=None)
        shown = (await f.get(client, None, video_id)).json()
        rendition = (await load_media(client, shown["play"][0]["url"])).content
        article = (await f.get(client, None, article_id)).json()
        archive = tmp_path_factory.mktemp("backups") / "kepu.tar"
        # Online: the server keeps running (and its worker polling) while the backup is taken.
        done = await asyncio.to_thread(_kepu, source, "backup", str(archive))
        assert done.exit_code == 0, done.output
        assert "media files" in done.output
    yield Served(archive, article_id, video_id, crew.creator, article, rendition)


def _listing(path: Path) -> dict[str, bytes]:
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != datadir.LOCK_FILE
    }


async def test_a_restored_data_dir_serves_the_article_the_video_and_the_old_tokens(
    served: Served, tmp_path: Path
) -> None:
    target = tmp_path / "restored"
    done = _kepu(target, "restore", str(served.archive))
    assert done.exit_code == 0, done.output
    assert not [p for p in target.iterdir() if p.name.startswith(".")]  # no scratch left
    async with serving(create_app(embedded_settings(target))) as client:
        article = (await f.get(client, None, served.article_id)).json()
        assert (article["title"], article["body_html"]) == (
            served.article["title"],
            served.article["body_html"],
        )
        feed = (await client.get("/api/v1/feed")).json()["items"]
        assert {served.article_id, served.video_id} <= {c["id"] for c in feed}
        shown = (await f.get(client, None, served.video_id)).json()
        assert shown["play"], shown
        clip = await load_media(client, shown["play"][0]["url"])
        assert clip.status_code == 200 and clip.content == served.rendition
        # The generated JWT secret came along: people stay logged in.
        me = await client.get("/api/v1/me", headers=served.creator.auth)
        assert me.status_code == 200 and me.json()["id"] == served.creator.id


def test_restore_is_refused_while_a_serve_holds_the_data_dir(
    served: Served, tmp_path: Path
) -> None:
    target = tmp_path / "busy"
    with datadir.held(embedded_settings(target)):  # what `kepu serve` holds while it runs
        refused = _kepu(target, "restore", str(served.archive), "--force")
    assert refused.exit_code == 1
    assert "cannot restore" in refused.output and "kepu serve" in refused.output
    assert _listing(target) == {}


def test_restore_over_data_needs_force_and_then_replaces_it(served: Served, tmp_path: Path) -> None:
    target = tmp_path / "used"
    (target / "media" / "old").mkdir(parents=True)
    (target / "media" / "old" / "object").write_bytes(b"from before")
    (target / backup.DATABASE).write_bytes(b"not the backup")
    refused = _kepu(target, "restore", str(served.archive))
    assert refused.exit_code == 1 and "--force" in refused.output
    assert (target / backup.DATABASE).read_bytes() == b"not the backup"
    done = _kepu(target, "restore", str(served.archive), "--force")
    assert done.exit_code == 0, done.output
    assert not (target / "media" / "old").exists()
    with tarfile.open(served.archive) as tar:
        names = set(tar.getnames()) - {backup.MANIFEST}
    assert set(_listing(target)) == names


def _rewritten(source: Path, target: Path, change: Any) -> Path:
    """A copy of the archive with ``change(name, data) -> (name, data)`` applied to each member
    (None: the member is left out)."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            handle = old.extractfile(member)
            assert handle is not None
            changed = change(member.name, handle.read())
            if changed is None:
                continue
            name, data = changed
            info = tarfile.TarInfo(name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture
def empty_target(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "target"
    target.mkdir()
    yield target
    assert _listing(target) == {}, "a refused restore wrote something"
    assert [p.name for p in target.iterdir()] in ([], [datadir.LOCK_FILE])


def test_a_damaged_archive_is_refused_and_nothing_is_written(
    served: Served, tmp_path: Path, empty_target: Path
) -> None:
    def flip_a_media_byte(name: str, data: bytes) -> tuple[str, bytes]:
        if name.endswith(".mp4") and "media/" in name:
            return name, data[:100] + bytes([data[100] ^ 1]) + data[101:]
        return name, data

    damaged = _rewritten(served.archive, tmp_path / "damaged.tar", flip_a_media_byte)
    refused = _kepu(empty_target, "restore", str(damaged))
    assert refused.exit_code == 1
    assert "does not match its manifest" in refused.output


def test_a_cut_archive_is_refused(served: Served, tmp_path: Path, empty_target: Path) -> None:
    cut = tmp_path / "cut.tar"
    cut.write_bytes(served.archive.read_bytes()[: served.archive.stat().st_size // 2])
    refused = _kepu(empty_target, "restore", str(cut))
    assert refused.exit_code == 1 and "not a whole Kepu backup" in refused.output


def test_an_archive_cut_between_members_is_refused(
    served: Served, tmp_path: Path, empty_target: Path
) -> None:
    def drop_manifest(name: str, data: bytes) -> tuple[str, bytes] | None:
        return None if name == backup.MANIFEST else (name, data)

    cut = _rewritten(served.archive, tmp_path / "cut.tar", drop_manifest)
    refused = _kepu(empty_target, "restore", str(cut))
    assert refused.exit_code == 1 and "no manifest" in refused.output


def test_a_member_outside_the_data_dir_is_refused(
    served: Served, tmp_path: Path, empty_target: Path
) -> None:
    def climb(name: str, data: bytes) -> tuple[str, bytes]:
        return ("media/../../../escaped" if name == backup.SECRET_FILE else name), data

    hostile = _rewritten(served.archive, tmp_path / "hostile.tar", climb)
    refused = _kepu(empty_target, "restore", str(hostile))
    assert refused.exit_code == 1 and "no Kepu backup contains" in refused.output
    assert not (tmp_path / "escaped").exists()  # where it pointed: the target's parent


def test_backup_points_elsewhere_when_the_database_is_postgresql(tmp_path: Path) -> None:
    postgres = "postgresql://127.0.0.1/test"
    refused = _kepu(tmp_path, "backup", str(tmp_path / "x.tar"), KEPU_DATABASE_URL=postgres)
    assert refused.exit_code == 1 and "pg_dump" in refused.output
    assert not (tmp_path / "x.tar").exists()
