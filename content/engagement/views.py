"""Views counted as people, with progress credited only as far as the server saw it could go.

A person counts once a day as a view, once ever as a viewer and at most once ever as a
completion of a content, however many events their client sends. What a client reports
(a video's position, an article's reading progress) is credited only up to what the time the
server observed since the play or the reading started allows, and a video's length is the
probed duration of its media, never what the client says. The rules and their numbers are in
docs/feeds.md ("Counting people").
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Invalid, NotFound
from content.models import Content, ContentType, ContentViewer, Media, Revision
from content.review import is_public
from infra.upsert import insert_for

log = logging.getLogger(__name__)

WINDOW_S = 24 * 3600.0  # a person's views of a content count once in this long
MAX_SECONDS = 24 * 3600.0  # no report of seconds is larger
OVERSHOOT = 1.05  # players round: a position may run this far past the length
COMPLETED_AT = 0.9  # this share of a content credited: a completion
MAX_PLAYBACK_RATE = 2.0  # the fastest speed the mini-program's player offers
GRACE_S = 1.0  # the network's share of the time between two events
READING_CHARS_PER_S = 30.0  # about four times ordinary Chinese reading speed
MIN_READING_S = 5.0  # no article, however short, is read in less
CHUNK = 500  # viewers per statement (PostgreSQL takes at most 32 767 parameters)


def now() -> float:
    """The server's clock for view events, in seconds since the epoch (tests move it)."""
    return time.time()


class ViewEvent(StrEnum):
    start = "start"  # a play (or a reading) begins
    progress = "progress"  # how far it got


@dataclass(frozen=True)
class Report:
    """One view event as a client sends it."""

    event: ViewEvent = ViewEvent.progress
    watched_s: float | None = None  # a video's position; an article's seconds on the page
    duration_s: float | None = None  # older clients send it (0: none known): checked, never used
    progress: float | None = None  # the share got through, 0–1 (an article's reading progress)


def _invalid(message: str, name: str) -> Invalid:
    return Invalid(message, field=name, code="view.invalid_progress")


def checked(report: Report, duration_s: float | None) -> Report:
    """``report`` if it makes sense for a content whose media lasts ``duration_s`` (None: not
    a video, or not probed); Invalid ``view.invalid_progress`` otherwise."""
    for name in ("watched_s", "duration_s"):
        value = getattr(report, name)
        if value is not None and (not math.isfinite(value) or not 0 <= value <= MAX_SECONDS):
            raise _invalid(f"{name} must be between 0 and {int(MAX_SECONDS)} seconds", name)
    # A duration_s of 0 says the client knows no length (an article has none; a player that
    # has not loaded the video yet): nothing to check watched_s against, and never used anyway.
    watched = report.watched_s
    if watched is not None and report.duration_s and watched > report.duration_s * OVERSHOOT:
        raise _invalid("watched_s cannot be more than the duration", "watched_s")
    if watched is not None and duration_s and watched > duration_s * OVERSHOOT + GRACE_S:
        raise _invalid(f"watched_s is past the end of the video ({duration_s:.0f} s)", "watched_s")
    if report.progress is not None and not (
        math.isfinite(report.progress) and 0 <= report.progress <= 1
    ):
        raise _invalid("progress must be a share between 0 and 1", "progress")
    if report.event == ViewEvent.progress and report.watched_s is None and report.progress is None:
        raise _invalid("say how far: watched_s or progress (or event start)", "progress")
    return report


async def viewable(session: AsyncSession, content_id: str) -> tuple[Content, float | None]:
    """The content, if the public may see it now (else 404), and its video's probed length."""
    row = (
        await session.exec(
            select(Content, Media.duration_s)
            .join(Revision, col(Revision.id) == col(Content.live_revision_id), isouter=True)
            .join(Media, col(Media.id) == col(Revision.media_id), isouter=True)
            .where(col(Content.id) == content_id)
        )
    ).first()
    if row is None or not is_public(row[0]):
        raise NotFound("no such content", code="content.not_found")
    return row[0], row[1]


def event(content_id: str, user_id: str, report: Report, at: float) -> dict[str, object]:
    """The buffered form of a view: what the client said, stamped with the server's time."""
    return {"k": "view", "c": content_id, "u": user_id, "e": report.event.value,
            "w": report.watched_s, "p": report.progress, "t": at}  # fmt: skip


@dataclass(frozen=True)
class Seen:
    """One view event as the server received it."""

    user_id: str
    event: ViewEvent
    watched_s: float | None
    progress: float | None
    at: datetime


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def seen_of(raw: Mapping[str, Any], received: float) -> Seen | None:
    """A buffered view event; one an older server wrote (no event, no time) is a progress report
    received at ``received``. None for one that cannot be read."""
    try:
        return Seen(
            user_id=str(raw["u"]),
            event=ViewEvent(raw.get("e", ViewEvent.progress)),
            watched_s=_number(raw.get("w")),
            progress=_number(raw.get("p")),
            at=datetime.fromtimestamp(float(raw.get("t", received)), UTC),
        )
    except (KeyError, TypeError, ValueError):
        log.warning("dropped an unreadable view event: %r", dict(raw))
        return None


@dataclass(frozen=True)
class Measure:
    """How long a content takes, as the server knows it: a video by its media's probed
    duration, an article by the least time a fast reader needs for its text."""

    duration_s: float | None = None
    reading_s: float | None = None

    @classmethod
    def of(cls, ctype: ContentType, duration_s: float | None, chars: int | None) -> Measure:
        if ctype == ContentType.video:
            return cls(duration_s=duration_s if duration_s and duration_s > 0 else None)
        return cls(reading_s=max(MIN_READING_S, (chars or 0) / READING_CHARS_PER_S))

    def credit(self, seen: Seen, elapsed: float) -> tuple[float, float]:
        """(seconds, share of the content) ``seen`` may be credited with, ``elapsed`` seconds
        (server time) after its play or reading started."""
        if self.reading_s is not None:
            share = min(seen.progress or 0.0, (elapsed + GRACE_S) / self.reading_s)
            return min(seen.watched_s or 0.0, elapsed + GRACE_S), share
        reach = elapsed * MAX_PLAYBACK_RATE + GRACE_S
        if self.duration_s is None:  # not probed: seconds only, never a completion
            return min(seen.watched_s or 0.0, reach), 0.0
        if seen.watched_s is not None:
            position = seen.watched_s
        else:
            position = (seen.progress or 0.0) * self.duration_s
        seconds = min(position, self.duration_s, reach)
        return seconds, seconds / self.duration_s


@dataclass
class Tally:
    """What one batch of events adds to a content's counters."""

    views: int = 0
    viewers: int = 0
    completions: int = 0
    watched_s: float = 0.0

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    def deltas(self) -> dict[str, int | float]:
        return {k: v for k, v in vars(self).items() if v}


def advance(
    row: ContentViewer | _Fresh, events: Iterable[Seen], measure: Measure, tally: Tally
) -> None:
    """Move one person's record of one content through their events, in server-time order."""
    for seen in sorted(events, key=lambda s: s.at):
        if row.window_at is None or (seen.at - row.window_at).total_seconds() >= WINDOW_S:
            row.window_at = row.play_at = seen.at
            row.watched_s = row.progress = 0.0
            row.views += 1
            tally.views += 1
        if seen.event == ViewEvent.start:
            row.play_at = seen.at
        started = row.play_at or row.window_at
        seconds, share = measure.credit(seen, max(0.0, (seen.at - started).total_seconds()))
        if seconds > row.watched_s:
            tally.watched_s += seconds - row.watched_s
            row.watched_s = seconds
        row.progress = max(row.progress, share)
        if row.progress >= COMPLETED_AT and not row.completed:
            row.completed = True
            tally.completions += 1
        row.last_at = max(row.last_at, seen.at)


@dataclass
class Viewed:
    """A content with views in a batch, and what the server knows of its length."""

    content: Content
    measure: Measure
    events: list[Seen] = field(default_factory=list)


async def measured(session: AsyncSession, content_ids: Iterable[str]) -> dict[str, Viewed]:
    """The contents of ``content_ids`` that exist, with their measures, in one query."""
    ids = sorted(set(content_ids))
    if not ids:
        return {}
    rows = await session.exec(
        select(Content, Media.duration_s, func.length(Revision.body))
        .join(Revision, col(Revision.id) == col(Content.live_revision_id), isouter=True)
        .join(Media, col(Media.id) == col(Revision.media_id), isouter=True)
        .where(col(Content.id).in_(ids))
    )
    return {c.id: Viewed(c, Measure.of(c.type, d, n)) for c, d, n in rows.all()}


async def count(session: AsyncSession, viewed: Viewed) -> Tally:
    """Apply a batch's view events to one content's viewer rows; what the counters gain.

    Rows the database has are locked (``FOR UPDATE``) while they move, so two writers cannot
    both credit one person. The others are inserted as their events leave them with ``ON
    CONFLICT DO NOTHING``: only a person the database has never seen for this content is a new
    viewer, whichever batch (or process) brings them; a row another writer created meanwhile is
    locked and moved like the rest."""
    tally = Tally()
    by_user: dict[str, list[Seen]] = defaultdict(list)
    for seen in viewed.events:
        by_user[seen.user_id].append(seen)
    users = sorted(by_user)
    content_id, measure = viewed.content.id, viewed.measure
    for i in range(0, len(users), CHUNK):
        chunk = users[i : i + CHUNK]
        known = {row.user_id: row for row in await _locked(session, content_id, chunk)}
        for user_id, row in known.items():
            advance(row, by_user[user_id], measure, tally)
        fresh = {u: _fresh(content_id, by_user[u]) for u in chunk if u not in known}
        gains = {u: Tally() for u in fresh}
        for user_id, new in fresh.items():
            advance(new, by_user[user_id], measure, gains[user_id])
        for user_id in await _insert_new(session, list(fresh.values())):
            tally.add(gains.pop(user_id))
            tally.viewers += 1
        for row in await _locked(session, content_id, sorted(gains)):  # created meanwhile
            advance(row, by_user[row.user_id], measure, tally)
    await session.flush()
    return tally


@dataclass
class _Fresh:
    """A viewer row not in the database yet (a plain object: thousands are built per flush)."""

    content_id: str
    user_id: str
    first_at: datetime
    last_at: datetime
    views: int = 0
    watched_s: float = 0.0
    progress: float = 0.0
    completed: bool = False
    window_at: datetime | None = None
    play_at: datetime | None = None


def _fresh(content_id: str, events: list[Seen]) -> _Fresh:
    first = min(s.at for s in events)
    return _Fresh(content_id, events[0].user_id, first, first)


async def _locked(session: AsyncSession, content_id: str, users: list[str]) -> list[ContentViewer]:
    """The viewer rows of ``users`` that exist, locked until the transaction ends."""
    if not users:
        return []
    rows = await session.exec(
        select(ContentViewer)
        .where(col(ContentViewer.content_id) == content_id, col(ContentViewer.user_id).in_(users))
        .order_by(col(ContentViewer.user_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def _insert_new(session: AsyncSession, rows: list[_Fresh]) -> set[str]:
    """Insert the rows no other writer inserted first; the user ids of those inserted."""
    if not rows:
        return set()
    stmt = (
        insert_for(session, ContentViewer)
        .on_conflict_do_nothing()
        .returning(col(ContentViewer.user_id))
    )
    # Parameters as a list: one cached statement, sent in batches (SQLAlchemy's
    # "insertmanyvalues"), where a VALUES list would be compiled afresh for every size.
    created = await session.exec(stmt, params=[asdict(row) for row in rows])
    return {str(user_id) for (user_id,) in created.all()}
