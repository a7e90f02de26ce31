"""The reviewers' queue: list tasks, claim one, decide."""

from __future__ import annotations

from fastapi import APIRouter

from api import presenters, problems
from api.deps import CurrentUser, Cursor, Limit, ServicesDep, SessionDep
from api.schemas import DecisionIn, Page, ReviewStage, TaskFilter, TaskOut
from content import review
from content.models import TaskStatus

router = APIRouter(tags=["review"])


@router.get(
    "/review/tasks",
    response_model=Page[TaskOut],
    responses=problems.responses(401, 403, 422, codes=["auth.missing_role", "invalid"]),
)
async def list_tasks(
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
    stage: ReviewStage | None = None,
    status: TaskFilter = TaskStatus.open,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Page[TaskOut]:
    views, next_cursor = await review.list_tasks(
        session,
        user,
        stage,
        None if status == "all" else TaskStatus(status),
        cursor,
        limit,
    )
    return Page(items=await presenters.tasks(session, services, views), next_cursor=next_cursor)


@router.post(
    "/review/tasks/{task_id}/claim",
    response_model=TaskOut,
    responses=problems.responses(
        401,
        403,
        404,
        409,
        422,
        codes=[
            "auth.missing_role",
            "review.not_found",
            "review.already_claimed",
            "review.task_closed",
            "review.self_review",
            "review.same_reviewer",
        ],
    ),
)
async def claim_task(
    task_id: str, user: CurrentUser, session: SessionDep, services: ServicesDep
) -> TaskOut:
    view = await review.claim(session, user, task_id, services.settings.claim_lease_seconds)
    return (await presenters.tasks(session, services, [view]))[0]


@router.post(
    "/review/tasks/{task_id}/decision",
    response_model=TaskOut,
    responses=problems.responses(
        401,
        403,
        404,
        409,
        413,
        422,
        codes=[
            "auth.missing_role",
            "review.not_found",
            "review.already_claimed",
            "review.task_closed",
            "review.self_review",
            "review.same_reviewer",
            "workflow.invalid_state",
            "workflow.stale",
            "invalid",
        ],
    ),
)
async def decide_task(
    task_id: str,
    body: DecisionIn,
    user: CurrentUser,
    session: SessionDep,
    services: ServicesDep,
) -> TaskOut:
    view = await review.decide(session, user, task_id, body.decision, body.comment)
    return (await presenters.tasks(session, services, [view]))[0]
