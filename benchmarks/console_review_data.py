"""The data of benchmarks/console_review.py: `--tasks` open review tasks, written with bulk
INSERTs as the workflow would have left them (see that script's docstring), in a fresh
PostgreSQL or SQLite database built by the migrations, and checked against the workflow's own
services before anything is measured."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console_review_texts import (  # type: ignore[import-not-found]
    COMMENTS,
    HEADINGS,
    PATTERNS,
    PLANTED,
    REFERENCES,
    SENTENCES,
    SUBJECTS,
)

from content import accounts
from content.kit import AUDIENCES, TOPICS
from content.media import keys
from content.models import (
    Action,
    Content,
    ContentStatus,
    ContentType,
    Discipline,
    Media,
    MediaKind,
    MediaStatus,
    ReviewEvent,
    ReviewTask,
    Revision,
    RevisionState,
    Role,
    Stage,
    TaskStatus,
    User,
)
from content.screening import blocking, current_screener, screen_revision
from content.seed import seed
from infra import db

PG_ADMIN = os.environ.get("KEPU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BATCH = 1000
CREATORS = 300
PASSWORD = "bench-" + secrets.token_urlsafe(18)
SCIENCE_DISCIPLINES = ("medicine", "nutrition")  # the benchmark's science reviewer's
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid_at(when: datetime) -> str:
    """An id in the layout of infra.ids.new_id, for a moment in the past: ids stay time-ordered
    with the rows' created_at, as they are when the workflow writes them."""
    value = (int(when.timestamp() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    out = []
    for _ in range(26):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out)).lower()


class Writer:
    def __init__(self, rng: random.Random, planted: list[str]) -> None:
        self.rng = rng
        self.planted = planted

    def title(self, subject: str) -> str:
        return self.rng.choice(PATTERNS).format(s=subject)

    def paragraph(self, subject: str, plant: bool) -> str:
        picked = self.rng.sample(SENTENCES, self.rng.randint(3, 6))
        if plant:
            picked.insert(self.rng.randrange(len(picked) + 1), self.rng.choice(self.planted))
        return f"说到{subject}，" + "".join(picked)

    def body(self, subject: str, paragraphs: int, plant: bool) -> str:
        out = []
        planted_at = self.rng.randrange(paragraphs) if plant else -1
        for i in range(paragraphs):
            if i % 2 == 0:
                out.append(HEADINGS[(i // 2) % len(HEADINGS)])
            out.append(self.paragraph(subject, i == planted_at))
        return "\n\n".join(out)

    def references(self) -> list[dict[str, Any]]:
        return [
            {"title": t, **({"url": u} if u else {})}
            for t, u in self.rng.sample(REFERENCES, self.rng.randint(0, 3))
        ]


# --- the data ---------------------------------------------------------------------------------


@dataclass
class Rows:
    users: list[dict[str, Any]] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    contents: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        # In the order the foreign keys need.
        return [
            (User, self.users),
            (Media, self.media),
            (Content, self.contents),
            (Revision, self.revisions),
            (ReviewTask, self.tasks),
            (ReviewEvent, self.events),
        ]

    def count(self) -> int:
        return sum(len(rows) for _, rows in self.tables())


@dataclass
class Data:
    url: str  # SQLAlchemy's (async driver)
    political: str  # usernames of the benchmark's reviewers
    science: str
    open_tasks: int
    seconds: float


def _media_rows(owner: str, at: datetime, rng: random.Random) -> tuple[str, str, list[dict]]:  # type: ignore[type-arg]
    """A ready video (360p and 720p renditions, cover, preview) and its cover image."""
    video, cover = ulid_at(at), ulid_at(at)
    duration = round(rng.uniform(45, 600), 3)
    common = dict(owner_id=owner, status=MediaStatus.ready, error=None, rotation=0,
                  progress=None, attempts=1, public_prefix=None, created_at=at,
                  updated_at=at)  # fmt: skip
    renditions = [
        {"label": label, "key": keys.rendition_key(video, label), "width": w, "height": h,
         "bitrate": b}
        for label, w, h, b in (("360p", 640, 360, 800_000), ("720p", 1280, 720, 2_500_000))
    ]  # fmt: skip
    rows = [
        dict(common, id=video, kind=MediaKind.video, object_key=keys.original_key(video),
             content_type="video/mp4", size=int(duration * 600_000), width=1280, height=720,
             duration_s=duration, cover_key=keys.cover_key(video),
             preview_key=keys.preview_key(video), renditions=renditions,
             source={"container": "mov,mp4", "video_codec": "h264", "audio_codec": "aac"}),
        dict(common, id=cover, kind=MediaKind.image, object_key=keys.original_key(cover),
             content_type="image/jpeg", size=180_000, width=1280, height=720, duration_s=None,
             cover_key=keys.cover_key(cover), preview_key=None, renditions=[],
             source={"format": "JPEG"}),
    ]  # fmt: skip
    return video, cover, rows


def build_rows(
    first: int,
    n: int,
    total: int,
    rng: random.Random,
    screener: Any,
    people: tuple[list[str], list[str]],
    disciplines: list[str],
    now: datetime,
) -> Rows:
    """Contents ``first`` … ``first + n - 1`` of ``total``, each with its open task; task i was
    created (total - i) / total of 14 days ago, so the first is the oldest."""
    creators, political_others = people
    writer = Writer(rng, PLANTED)
    rows = Rows()
    weights = [30.0 if d == "medicine" else 70.0 / (len(disciplines) - 1) for d in disciplines]
    for i in range(first, first + n):
        created = now - timedelta(days=14) * (total - i) / total
        subject, home = rng.choice(SUBJECTS)
        discipline = home if rng.random() < 0.5 else rng.choices(disciplines, weights)[0]
        stage = Stage.political if rng.random() < 0.6 else Stage.science
        is_video = rng.random() < 1 / 3
        owner = rng.choice(creators)
        # Backwards from the open task: when each step of the workflow happened.
        passed = created
        if stage == Stage.science:
            passed = created - timedelta(minutes=rng.uniform(5, 180))
        written = passed - timedelta(seconds=2) - timedelta(minutes=rng.uniform(10, 2880))
        times = [(written, passed)]
        if rng.random() < 0.1:  # a first revision the political reviewer sent back
            decided = written - timedelta(minutes=10)
            times.insert(0, (decided - timedelta(days=1, hours=2), decided - timedelta(hours=2)))
        started = times[0][0]
        content_id = ulid_at(started)
        media_id = cover_id = None
        if is_video:
            media_id, cover_id, media = _media_rows(owner, started, rng)
            rows.media += media
        elif rng.random() < 0.5:
            _, cover_id, media = _media_rows(owner, started, rng)
            rows.media.append(media[1])
        for number, (at, passed_at) in enumerate(times, 1):
            last = number == len(times)
            submitted = passed_at - timedelta(seconds=2)
            plant = rng.random() < 0.4
            if is_video:
                body = writer.paragraph(subject, plant) if rng.random() < 0.7 else None
                summary = writer.paragraph(subject, False)[:120]
            else:
                body = writer.body(subject, rng.randint(6, 12), plant)
                summary = rng.choice(SENTENCES)
            rev: dict[str, Any] = dict(
                id=ulid_at(at), content_id=content_id, number=number, author_id=owner,
                state=RevisionState.in_review if last else RevisionState.changes_requested,
                stage=stage if last else None, title=writer.title(subject), summary=summary,
                body=body, media_id=media_id, cover_media_id=cover_id,
                topics=[rng.choice(TOPICS)[0]], audiences=[rng.choice(AUDIENCES)[0]],
                discipline=discipline, references=writer.references(),
                submitted_at=submitted, decided_at=None, created_at=at, updated_at=passed_at,
            )  # fmt: skip
            # The machine stage's findings, as it writes them (content/review/machine.py).
            found = screen_revision(screener, Revision(**rev))
            if blocking(found):  # the machine stage would have blocked it: no review task
                raise SystemExit(f"a generated text is blocked by screening: {found}")
            rev["findings"] = [f.as_dict() for f in found]
            rows.revisions.append(rev)

            def event(
                at: datetime,
                action: Action,
                before: ContentStatus,
                after: ContentStatus,
                stage: Stage | None = None,
                actor: str | None = None,
                comment: str | None = None,
                rev: dict[str, Any] = rev,
                content_id: str = content_id,
            ) -> None:
                rows.events.append(dict(id=ulid_at(at), content_id=content_id,
                                        revision_id=rev["id"], revision_number=rev["number"],
                                        actor_id=actor, action=action, stage=stage,
                                        from_status=before, to_status=after, comment=comment,
                                        created_at=at))  # fmt: skip

            def task(
                at: datetime,
                stage: Stage,
                status: TaskStatus,
                decided_by: str | None,
                decided_at: datetime | None,
                comment: str | None = None,
                claimed: tuple[str, datetime] | None = None,
                rev: dict[str, Any] = rev,
                content_id: str = content_id,
                discipline: str = discipline,
            ) -> None:
                by, until = claimed or (decided_by, decided_at)
                rows.tasks.append(dict(id=ulid_at(at), content_id=content_id,
                                       revision_id=rev["id"], stage=stage, status=status,
                                       discipline=discipline, claimed_by=by,
                                       claim_expires_at=until and until + timedelta(minutes=20),
                                       decided_by=decided_by, comment=comment, created_at=at,
                                       decided_at=decided_at))  # fmt: skip

            cs = ContentStatus
            event(submitted, Action.submit, cs.draft, cs.in_review, actor=owner)
            event(passed_at, Action.pass_, cs.in_review, cs.in_review, Stage.machine)
            if not last:  # changes asked for, then the author's edit started the next revision
                reviewer, comment = rng.choice(political_others), COMMENTS[1 + i % 2]
                decided = passed_at + timedelta(hours=2)
                rev["decided_at"] = rev["updated_at"] = decided
                task(passed_at, Stage.political, TaskStatus.changes_requested, reviewer, decided,
                     comment)  # fmt: skip
                event(decided, Action.request_changes, cs.in_review, cs.changes_requested,
                      Stage.political, reviewer, comment)  # fmt: skip
                continue
            if stage == Stage.science:  # approved at the political stage by someone else
                reviewer = rng.choice(political_others)
                task(passed_at, Stage.political, TaskStatus.approved, reviewer, created)
                event(created, Action.approve, cs.in_review, cs.in_review, Stage.political,
                      reviewer)  # fmt: skip
            # One in thirty political tasks is held by another reviewer's claim in force.
            held = stage == Stage.political and rng.random() < 1 / 30
            claim = (rng.choice(political_others), datetime.now(UTC)) if held else None
            task(created, stage, TaskStatus.open, None, None, claimed=claim)
        if len(times) == 2:  # the edit, recorded on the revision it started
            second = rows.revisions[-1]
            rows.events.append(dict(id=ulid_at(second["created_at"]), content_id=content_id,
                                    revision_id=second["id"], revision_number=2,
                                    actor_id=owner, action=Action.edit, stage=None,
                                    from_status=ContentStatus.changes_requested,
                                    to_status=ContentStatus.draft, comment=None,
                                    created_at=second["created_at"]))  # fmt: skip
        working = rows.revisions[-1]
        kind = ContentType.video if is_video else ContentType.article
        rows.contents.append(dict(id=content_id, type=kind,
                                  owner_id=owner, status=ContentStatus.in_review,
                                  working_revision_id=working["id"], live_revision_id=None,
                                  published_at=None, pinned_until=None, removed_reason=None,
                                  comments_enabled=True, created_at=started,
                                  updated_at=working["updated_at"]))  # fmt: skip
    return rows


async def insert(engine: Any, rows: Rows, label: str) -> None:
    """Bulk INSERTs of ``BATCH`` rows, in one transaction."""
    total, done = rows.count(), 0
    async with engine.begin() as conn:
        for model, table_rows in rows.tables():
            for i in range(0, len(table_rows), BATCH):
                chunk = table_rows[i : i + BATCH]
                await conn.execute(sa.insert(model.__table__), chunk)
                done += len(chunk)
                print(f"  {label}: {done}/{total} rows", end="\r", flush=True)
    print()


async def fill(url: str, tasks: int, seed_value: int) -> Data:
    """The database with ``tasks`` open review tasks (and their people); see the docstring."""
    started = time.perf_counter()
    await asyncio.to_thread(db.upgrade, url)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    tag = secrets.token_hex(3)
    async with sessions() as session:
        await seed(session)
        political = await accounts.create_staff_user(
            session, username=f"bench-political-{tag}", password=PASSWORD,
            display_name="政治审核员甲", roles=[Role.political_reviewer],
        )  # fmt: skip
        science = await accounts.create_staff_user(
            session, username=f"bench-science-{tag}", password=PASSWORD,
            display_name="科学审核员乙", roles=[Role.science_reviewer],
            disciplines=list(SCIENCE_DISCIPLINES),
        )  # fmt: skip
        await session.commit()
        political_name, science_name = political.username, science.username
        screener = await current_screener(session)
        disciplines = list(
            (await session.exec(select(Discipline.slug).order_by(col(Discipline.position)))).all()
        )
    people = Rows()
    creators = [ulid_at(now - timedelta(days=60)) for _ in range(CREATORS)]
    political_others = [ulid_at(now - timedelta(days=90)) for _ in range(5)]
    for i, user_id in enumerate(creators):
        people.users.append(dict(id=user_id, username=None, password_hash=None,
                                 wechat_openid=f"bench-{tag}-{i}", wechat_unionid=None,
                                 display_name=f"科普作者{i:03d}", avatar_media_id=None,
                                 roles=[Role.creator], disciplines=[], is_active=True,
                                 created_at=now - timedelta(days=60)))  # fmt: skip
    for i, user_id in enumerate(political_others):
        people.users.append(dict(id=user_id, username=f"political-{tag}-{i}", password_hash=None,
                                 wechat_openid=None, wechat_unionid=None,
                                 display_name=f"审核员{i}", avatar_media_id=None,
                                 roles=[Role.political_reviewer], disciplines=[], is_active=True,
                                 created_at=now - timedelta(days=90)))  # fmt: skip
    await insert(engine, people, "people")
    # Screening every text is the slow part of building the rows: in chunks, with progress.
    rows = Rows()
    chunk = 1000
    for start in range(0, tasks, chunk):
        part = build_rows(start, min(chunk, tasks - start), tasks, rng, screener,
                          (creators, political_others), disciplines, now)  # fmt: skip
        for (_, mine), (_, theirs) in zip(rows.tables(), part.tables(), strict=True):
            mine += theirs
        done = min(start + chunk, tasks)
        print(f"  texts written and screened: {done}/{tasks}", end="\r", flush=True)
    print()
    await insert(engine, rows, "contents")
    async with engine.connect() as conn:  # as autovacuum would, soon after a bulk load
        await conn.execute(sa.text("ANALYZE"))
        await conn.commit()
    opened = await open_count(url)
    await engine.dispose()
    return Data(
        url, political_name or "", science_name or "", opened, time.perf_counter() - started
    )


async def open_count(url: str) -> int:
    engine = db.make_engine(url)
    async with engine.connect() as conn:
        n = (
            await conn.execute(sa.text("SELECT count(*) FROM reviewtask WHERE status = 'open'"))
        ).scalar_one()
    await engine.dispose()
    return int(n)


async def check_workflow(url: str) -> None:
    """The rows are what the workflow would have written: the benchmark's reviewers can claim
    and decide the oldest task of each stage through the review service (rolled back)."""
    from content import review

    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    async with sessions() as session:
        for name, stage in (
            ("bench-political-", Stage.political),
            ("bench-science-", Stage.science),
        ):
            user = (
                await session.exec(select(User).where(col(User.username).startswith(name)))
            ).one()
            views, _ = await review.list_tasks(session, user, stage, TaskStatus.open, None, 5)
            assert views, f"no {stage} task for the reviewer"
            task = views[0].task
            await review.claim(session, user, task.id, 600)
            done = await review.decide(session, user, task.id, Action.approve, "内容准确")
            assert done.task.status == TaskStatus.approved
        await session.rollback()
    await engine.dispose()


@contextlib.asynccontextmanager
async def database(engine_name: str) -> AsyncIterator[tuple[str, str]]:
    """A throw-away database: (SQLAlchemy's URL, the server's)."""
    if engine_name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kepu-console-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/kepu.sqlite3"
            yield url, url
        return
    name = f"kepu_console_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        plain = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        yield plain.replace("postgresql://", "postgresql+asyncpg://", 1), plain
    finally:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
