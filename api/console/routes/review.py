"""Console pages: the reviewers' queues, taking the next task, the review page, claims and
decisions — each through the content/review service the API's review routes call."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from api import presenters
from api.console import names, pages
from api.console.auth import Reviewer
from api.deps import ServicesDep, SessionDep
from api.schemas import Rendition
from content import review
from content.models import Action, Stage, User
from content.review import MAX_COMMENT
from infra.clock import utcnow

router = APIRouter()

STAGE_NAMES = {s: names.STAGES[s] for s in (Stage.political, Stage.science)}
DECISION_NAMES = names.DECISIONS
PREFERRED_RENDITION = "720p"
Discipline = Annotated[str | None, Query(max_length=64)]


def queue_url(stage: Stage, discipline: str | None) -> str:
    query = f"?{urlencode({'discipline': discipline})}" if discipline else ""
    return f"/console/review/queue/{stage.value}{query}"


def task_url(task_id: str) -> str:
    return f"/console/review/tasks/{task_id}"


def claim_until(at: datetime | None, now: datetime | None = None) -> str:
    """When a claim ends, China time: the time alone when that is today, else the date too."""
    today = pages.local_time(now or utcnow())[:10]
    return pages.local_time(at, with_date=pages.local_time(at)[:10] != today)


def _queue_of(view: review.TaskView) -> tuple[Stage, str | None]:
    """The queue a task is in: its stage, and its discipline where the stage has one each."""
    stage = view.task.stage
    return stage, view.task.discipline if review.by_discipline(stage) else None


@router.get("/review")
async def review_index(request: Request, user: Reviewer, session: SessionDep) -> Response:
    queues = await review.queue_summary(session, user)
    return pages.render(
        request,
        "review_queues.html",
        queues=queues,
        now=utcnow(),
        stages=STAGE_NAMES,
        url=queue_url,
    )


@router.get("/review/queue/{stage}")
async def review_queue(
    request: Request,
    stage: Stage,
    user: Reviewer,
    session: SessionDep,
    discipline: Discipline = None,
) -> Response:
    found = await review.queue(session, user, stage, discipline or None)
    return pages.render(
        request,
        "review_queue.html",
        queue=found,
        now=utcnow(),
        stages=STAGE_NAMES,
        user_id=user.id,
        here=queue_url(stage, found.discipline),
        until=claim_until,
    )


async def _open_next(
    session: SessionDep,
    services: ServicesDep,
    user: User,
    stage: Stage,
    discipline: str | None,
    skip: str | None = None,
) -> str | None:
    """The page of the task just claimed for ``user`` (the oldest they may take), or None."""
    lease = services.settings.claim_lease_seconds
    view = await review.claim_next(session, user, stage, discipline, lease, skip)
    return None if view is None else task_url(view.task.id)


@router.post("/review/queue/{stage}/next")
async def review_next(
    stage: Stage,
    user: Reviewer,
    session: SessionDep,
    services: ServicesDep,
    discipline: Annotated[str, Form(max_length=64)] = "",
    skip: Annotated[str, Form(max_length=26)] = "",
) -> Response:
    opened = await _open_next(session, services, user, stage, discipline or None, skip or None)
    if opened is not None:
        return pages.redirect(opened)
    return pages.redirect(
        queue_url(stage, discipline or None), "这个队列里没有可以领取的任务了", "note"
    )


def _rendition(play: list[Rendition]) -> Rendition | None:
    """The 720p rendition; a smaller video has none, then its largest."""
    preferred = [r for r in play if r.label == PREFERRED_RENDITION]
    if preferred or not play:
        return preferred[0] if preferred else None
    return max(play, key=lambda r: min(r.width or 0, r.height or 0))


@router.get("/review/tasks/{task_id}")
async def review_task(
    request: Request, task_id: str, user: Reviewer, session: SessionDep, services: ServicesDep
) -> Response:
    found = await review.review_page(session, user, task_id)
    view = found.view
    (shown,) = await presenters.tasks(session, services, [view])
    stage, discipline = _queue_of(view)
    return pages.render(
        request,
        "review_task.html",
        page=found,
        task=view.task,
        revision=view.revision,
        content=view.content,
        author=view.author,
        shown=shown,
        video=_rendition(shown.content.play),
        marked=review.marked_revision(view.revision),
        findings=view.revision.findings or [],
        diff=review.diff_revisions(found.previous, view.revision) if found.previous else [],
        templates=review.COMMENT_TEMPLATES,
        decisions=DECISION_NAMES,
        stages=STAGE_NAMES,
        mine=found.claimed_by is not None and view.task.claimed_by == user.id,
        max_comment=MAX_COMMENT,
        queue=queue_url(stage, discipline),
        now=utcnow(),
        until=claim_until,
    )


@router.post("/review/tasks/{task_id}/claim")
async def review_claim(
    task_id: str, user: Reviewer, session: SessionDep, services: ServicesDep
) -> Response:
    view = await review.claim(session, user, task_id, services.settings.claim_lease_seconds)
    until = claim_until(view.task.claim_expires_at)
    return pages.redirect(task_url(task_id), f"已认领，{until} 前由你审核")


@router.post("/review/tasks/{task_id}/decision")
async def review_decision(
    task_id: str,
    user: Reviewer,
    session: SessionDep,
    services: ServicesDep,
    decision: Annotated[Action, Form()],
    comment: Annotated[str, Form(max_length=MAX_COMMENT)] = "",
) -> Response:
    view = await review.decide(session, user, task_id, decision, comment or None)
    said = f"已{DECISION_NAMES.get(decision, decision.value)}：《{view.revision.title}》"
    stage, discipline = _queue_of(view)
    opened = await _open_next(session, services, user, stage, discipline)
    if opened is None:
        return pages.redirect(queue_url(stage, discipline), said + "。队列里没有更多任务了")
    return pages.redirect(opened, said)
