"""One archive of the embedded default's data directory — the SQLite database (an online,
consistent copy), the local-disk ``media/`` and the generated JWT secret — and putting one back.

The archive is a tar whose last member, ``kepu-backup.json``, lists every other member with its
size and SHA-256; a restore checks each byte against it before the data directory is touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

DATABASE = "kepu.sqlite3"
SECRET_FILE = "jwt-secret"  # noqa: S105  (a file name, not a secret)
MEDIA = "media"
MANIFEST = "kepu-backup.json"
FORMAT = 1
# What a restore replaces: the state above, plus what is derived from it and would disagree with
# the restored database (the bundled Valkey's feeds and queue are rebuilt from the database).
_REPLACED = (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", SECRET_FILE, MEDIA, "valkey")
# Present in a data directory without making it "not empty" for a restore.
_IGNORED = ("serve.lock",)
_SKIPPED_IN_MEDIA = ".tmp"  # local-disk storage's files being written: never whole objects
_PAGES_PER_STEP = 256
_BLOCK = 1 << 20

Progress = Callable[[int], None]  # bytes done since the last call


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Summary:
    files: int  # media objects and their metadata files
    bytes: int
    database_bytes: int


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str  # in the archive, "/"-separated
    path: Path
    size: int


def _media_files(data_dir: Path) -> list[_Entry]:
    root = data_dir / MEDIA
    entries: list[_Entry] = []
    if not root.is_dir():
        return entries
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs if d != _SKIPPED_IN_MEDIA]
        dirs.sort()
        for name in sorted(files):
            path = here / name
            with contextlib.suppress(FileNotFoundError):  # deleted while we walk: not needed
                if not path.is_symlink() and path.is_file():
                    entries.append(
                        _Entry(path.relative_to(data_dir).as_posix(), path, path.stat().st_size)
                    )
    return entries


def backup_size(data_dir: Path) -> int:
    """Bytes a backup of ``data_dir`` reads: what its progress counts up to."""
    database = data_dir / DATABASE
    if not database.is_file():
        raise BackupError(
            f"no database at {database}: is KEPU_DATA_DIR the data directory of this installation?"
        )
    total = database.stat().st_size + sum(e.size for e in _media_files(data_dir))
    secret = data_dir / SECRET_FILE
    return total + (secret.stat().st_size if secret.is_file() else 0)


def _copy_database(source: Path, target: Path, progress: Progress) -> None:
    """SQLite's online backup: a consistent copy while the server goes on writing."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        page_size = src.execute("PRAGMA page_size").fetchone()[0]
        done = 0

        def step(_status: int, remaining: int, pages: int) -> None:
            nonlocal done
            progress(max((pages - remaining) * page_size - done, 0))
            done = (pages - remaining) * page_size

        with contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst, pages=_PAGES_PER_STEP, progress=step)


class _Hashing:
    """A file read into the archive, hashed and counted on the way."""

    def __init__(self, handle: IO[bytes], progress: Progress) -> None:
        self.handle, self.progress, self.digest = handle, progress, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.handle.read(size)
        self.digest.update(block)
        self.progress(len(block))
        return block


def _add(tar: tarfile.TarFile, name: str, path: Path, progress: Progress) -> dict[str, Any] | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None  # an object deleted since the walk: the database copy no longer needs it
    with handle:
        info = tarfile.TarInfo(name)
        info.size = os.fstat(handle.fileno()).st_size  # objects are replaced, never rewritten
        info.mtime = int(os.fstat(handle.fileno()).st_mtime)
        info.mode = 0o600
        reader = _Hashing(handle, progress)
        tar.addfile(info, reader)
    return {"name": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def create(data_dir: Path, archive: Path, progress: Progress) -> Summary:
    """Write the backup of ``data_dir`` to ``archive``: nothing is left at ``archive`` unless it is
    whole (it is written beside it, then renamed)."""
    data_dir = data_dir.resolve()
    backup_size(data_dir)  # refuses a directory with no database
    partial = archive.with_name(f".{archive.name}.partial")
    try:
        with tempfile.TemporaryDirectory(dir=archive.parent) as scratch:
            copy = Path(scratch) / DATABASE
            _copy_database(data_dir / DATABASE, copy, progress)
            with tarfile.open(partial, "w") as tar:
                listed = [_add(tar, DATABASE, copy, lambda _n: None)]
                if (data_dir / SECRET_FILE).is_file():
                    listed.append(_add(tar, SECRET_FILE, data_dir / SECRET_FILE, progress))
                listed += [_add(tar, e.name, e.path, progress) for e in _media_files(data_dir)]
                members = [m for m in listed if m is not None]
                _add_manifest(tar, members)
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)
    media = [m for m in members if m["name"] != DATABASE and m["name"] != SECRET_FILE]
    return Summary(
        files=len(media),
        bytes=archive.stat().st_size,
        database_bytes=next(m["size"] for m in members if m["name"] == DATABASE),
    )


def _add_manifest(tar: tarfile.TarFile, members: list[dict[str, Any]]) -> None:
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "members": members,
    }
    body = json.dumps(manifest, indent=1).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size, info.mode, info.mtime = len(body), 0o600, int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(body))


# -- restore ---------------------------------------------------------------------------------


def is_empty(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds nothing a restore would overwrite or leave inconsistent."""
    if not data_dir.exists():
        return True
    return all(entry.name in _IGNORED for entry in data_dir.iterdir())


def archive_size(archive: Path) -> int:
    try:
        return archive.stat().st_size
    except OSError as exc:
        raise BackupError(f"cannot read {archive}: {exc.strerror}") from exc


def _safe_name(name: str) -> PurePosixPath:
    """A member's path, refused unless it is one of ours: never absolute, never climbing out."""
    path = PurePosixPath(name)
    ours = name in (DATABASE, SECRET_FILE) or (len(path.parts) > 1 and path.parts[0] == MEDIA)
    if not ours or path.is_absolute() or any(p in ("..", ".", "") for p in path.parts):
        raise BackupError(
            f"the archive holds {name!r}, which no Kepu backup contains; not restored"
        )
    return path


def _unpack(archive: Path, staging: Path, progress: Progress) -> list[dict[str, Any]]:
    """Every member into ``staging``, each hashed; returns what was read, manifest last."""
    read: list[dict[str, Any]] = []
    try:
        with tarfile.open(archive, "r:") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    handle = tar.extractfile(member)
                    assert handle is not None
                    read.append({"manifest": json.loads(handle.read())})
                    continue
                if not member.isfile():
                    raise BackupError(
                        f"the archive holds {member.name!r}, not a file; not restored"
                    )
                target = staging.joinpath(*_safe_name(member.name).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                handle = tar.extractfile(member)
                assert handle is not None
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while block := handle.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                        progress(len(block))
                read.append(
                    {"name": member.name, "size": member.size, "sha256": digest.hexdigest()}
                )
    except (tarfile.TarError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"{archive} is not a whole Kepu backup ({exc}); not restored") from exc
    return read


def _verify(archive: Path, read: list[dict[str, Any]], staging: Path) -> None:
    if not read or "manifest" not in read[-1]:
        raise BackupError(f"{archive} has no manifest at its end: cut short, or not a Kepu backup")
    manifest = read[-1]["manifest"]
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{archive} is a backup of format {manifest.get('format')!r}; this Kepu reads "
            f"format {FORMAT}"
        )
    expected = {m["name"]: (m["size"], m["sha256"]) for m in manifest["members"]}
    found = {m["name"]: (m["size"], m["sha256"]) for m in read[:-1]}
    if expected != found:
        bad = sorted(set(expected.items()) ^ set(found.items()))
        raise BackupError(
            f"{archive} does not match its manifest ({len(bad)} differences, first "
            f"{bad[0][0]!r}): damaged; not restored"
        )
    if DATABASE not in found:
        raise BackupError(f"{archive} holds no database; not restored")
    with contextlib.closing(sqlite3.connect(staging / DATABASE)) as db:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"the database in {archive} fails SQLite's integrity check")


@contextlib.contextmanager
def _scratch(data_dir: Path, label: str) -> Iterator[Path]:
    """A directory beside the data (same file system: moves are renames), always removed."""
    path = Path(tempfile.mkdtemp(prefix=f".{label}-", dir=data_dir))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _put_back(data_dir: Path, aside: Path, moved: list[str]) -> None:
    """Undo a swap that failed half-way: the data directory as it was, not half of each."""
    for name in _REPLACED:
        with contextlib.suppress(OSError):
            target = data_dir / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif os.path.lexists(target):
                target.unlink()
    for name in moved:
        with contextlib.suppress(OSError):
            os.replace(aside / name, data_dir / name)


def restore(archive: Path, data_dir: Path, progress: Progress) -> Summary:
    """Verify ``archive`` whole, then make it the contents of ``data_dir``: what it replaces is
    moved aside first and put back if the swap fails half-way. The caller holds the lock of
    ``data_dir`` and has decided whether a non-empty one may be overwritten."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _scratch(data_dir, "restoring") as staging, _scratch(data_dir, "replaced") as aside:
        read = _unpack(archive, staging, progress)
        _verify(archive, read, staging)
        moved: list[str] = []
        try:
            for name in _REPLACED:
                if os.path.lexists(data_dir / name):
                    os.replace(data_dir / name, aside / name)
                    moved.append(name)
            for entry in sorted(staging.iterdir()):
                os.replace(entry, data_dir / entry.name)
        except OSError:
            _put_back(data_dir, aside, moved)
            raise
        if (data_dir / SECRET_FILE).exists():
            (data_dir / SECRET_FILE).chmod(0o600)
    members = read[:-1]
    return Summary(
        files=sum(1 for m in members if m["name"] not in (DATABASE, SECRET_FILE)),
        bytes=sum(m["size"] for m in members),
        database_bytes=next(m["size"] for m in members if m["name"] == DATABASE),
    )
