"""Review tasks for the console's tests: articles at the political or science stage, written
through the workflow's services; a discipline of a test's own; a political queue quietened so
"next" reaches a test's tasks."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from content import review
from content.models import (
    Action,
    Content,
    ContentStatus,
    ContentType,
    Discipline,
    Media,
    MediaKind,
    MediaStatus,
    ReviewTask,
    Revision,
    RevisionState,
    Stage,
    TaskStatus,
    User,
)
from infra.clock import utcnow
from infra.services import Services
from tests.factories import Person, open_task_in_session, person, political_task_in_session

# Screening marks two absolute health claims here (warnings: the article goes on to people).
FLAGGED_BODY = "## 老偏方\n\n这种茶能根治糖尿病，100%有效。"


async def new_discipline(services: Services) -> str:
    """A discipline of this test alone: its science queue holds only this test's tasks."""
    slug = f"d{secrets.token_hex(4)}"
    async with services.write_sessions() as s:
        s.add(Discipline(slug=slug, name=f"学科{slug[-4:]}", position=99))
        await s.commit()
    return slug


async def quiet_political_queue(services: Services) -> None:
    """Every open political task left by other tests is held by somebody else for a day, so
    "next" reaches this test's tasks (the political queue is shared by every reviewer)."""
    async with services.write_sessions() as s:
        holder = User(username=f"holder-{secrets.token_hex(4)}", display_name="别人", roles=[])
        s.add(holder)
        await s.flush()
        await s.exec(
            sa.update(ReviewTask)
            .where(
                col(ReviewTask.status) == TaskStatus.open, col(ReviewTask.stage) == Stage.political
            )
            .values(claimed_by=holder.id, claim_expires_at=utcnow() + timedelta(days=1))
        )
        await s.commit()


async def political_task(services: Services, owner: Person, **overrides: Any) -> tuple[str, str]:
    """An article of ``owner`` past the machine stage: (content id, political task id)."""
    async with services.write_sessions() as s:
        view, task_id = await political_task_in_session(s, services.settings, owner.id, **overrides)
        await s.commit()
    return view.content.id, task_id


async def video_task(
    services: Services, owner: Person, title: str, **media: Any
) -> tuple[str, str]:
    """A video of ``owner`` past the machine stage, its media a ready row with a 720p rendition
    (``media``: more of its columns, the text read off it say) but no file: (content id,
    political task id). For pages that show a video without playing it."""
    async with services.write_sessions() as s:
        row = Media(
            owner_id=owner.id, kind=MediaKind.video, status=MediaStatus.ready,
            object_key=f"uploads/{owner.id}/original", size=1, width=1280, height=720,
            duration_s=6.0, **media,
        )  # fmt: skip
        row.renditions = [
            {"label": "720p", "key": f"media/{row.id}/720p.mp4", "width": 1280, "height": 720}
        ]
        s.add(row)
        await s.flush()
        view, task_id = await political_task_in_session(
            s, services.settings, owner.id, type="video", media_id=row.id, body=None, title=title
        )
        await s.commit()
    return view.content.id, task_id


async def science_task(
    services: Services, owner: Person, discipline: str, **overrides: Any
) -> tuple[str, str]:
    """An article of ``discipline`` approved by a political reviewer of its own: (content id,
    science task id)."""
    async with services.write_sessions() as s:
        view, task_id = await political_task_in_session(
            s, services.settings, owner.id, discipline=discipline, **overrides
        )
        political = User(
            username=f"p-{secrets.token_hex(4)}",
            display_name="政审员",
            roles=["political_reviewer"],
        )
        s.add(political)
        await s.flush()
        await review.decide(s, political, task_id, Action.approve, None)
        science = await open_task_in_session(s, view.content.id, Stage.science)
        await s.commit()
    return view.content.id, science


async def science_queue(
    services: Services, *titles: str
) -> tuple[str, Person, list[tuple[str, str]]]:
    """A science queue of its own: its discipline, a reviewer holding it, and an article of a
    creator's for each title, oldest first (content id, task id)."""
    discipline = await new_discipline(services)
    creator = await person(services, "creator")
    reviewer = await person(services, "science_reviewer", disciplines=(discipline,))
    tasks = [await science_task(services, creator, discipline, title=t) for t in titles]
    return discipline, reviewer, tasks


async def bulk_science_tasks(services: Services, owner: Person, discipline: str, n: int) -> None:
    """``n`` open science tasks of ``discipline`` written as rows (quick, for counting queries)."""
    async with services.write_sessions() as s:
        contents = [
            Content(type=ContentType.article, owner_id=owner.id, status=ContentStatus.in_review)
            for _ in range(n)
        ]
        s.add_all(contents)
        await s.flush()
        revisions = [
            Revision(
                content_id=c.id,
                number=1,
                author_id=owner.id,
                state=RevisionState.in_review,
                stage=Stage.science,
                title=f"批量文章 {i}",
                discipline=discipline,
            )
            for i, c in enumerate(contents)
        ]
        s.add_all(revisions)
        await s.flush()
        start = utcnow() - timedelta(hours=1)
        s.add_all(
            ReviewTask(
                content_id=r.content_id,
                revision_id=r.id,
                stage=Stage.science,
                discipline=discipline,
                created_at=start + timedelta(seconds=i),
            )
            for i, r in enumerate(revisions)
        )
        await s.commit()
