"""Review tasks as reviewers see them, and a content's review history."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from api import schemas
from api.presenters.contents import bodies_html
from api.presenters.feed import card, links, playback
from api.presenters.media import media_text
from content.models import User
from content.review import HistoryEntry, TaskView
from infra.services import Services


async def tasks(
    session: AsyncSession, services: Services, views: list[TaskView]
) -> list[schemas.TaskOut]:
    found = await links(
        session, services, [v.revision for v in views], False, [v.author for v in views]
    )
    html = await bodies_html(session, services, [v.revision for v in views], public=False)
    out = []
    for v in views:
        rev = v.revision
        summary = card(v.content, rev, v.author, found, False)
        video = found.get(rev.media_id or "")
        cover = found.get(rev.cover_media_id or "")
        out.append(
            schemas.TaskOut(
                id=v.task.id,
                content_id=v.content.id,
                revision=rev.number,
                stage=v.task.stage,
                status=v.task.status,
                claimed_by=v.task.claimed_by,
                claim_expires_at=v.task.claim_expires_at,
                decided_by=v.task.decided_by,
                comment=v.task.comment,
                findings=[schemas.FindingOut(**f) for f in rev.findings],
                content=schemas.TaskContent(
                    **summary.model_dump(),
                    body=rev.body,
                    body_html=html[rev.id],
                    references=[schemas.Reference(**r) for r in rev.references],
                    **playback(video),
                    discipline=rev.discipline,
                    text=media_text(video),
                    cover_text=media_text(cover),
                ),
            )
        )
    return out


def _author(user: User | None) -> schemas.Author | None:
    return schemas.Author(id=user.id, display_name=user.display_name) if user else None


def review_history(entries: list[HistoryEntry]) -> list[schemas.ReviewEventOut]:
    return [
        schemas.ReviewEventOut(
            id=e.id,
            revision=e.revision,
            stage=e.stage,
            action=e.action,
            decision=e.decision,
            from_status=e.from_status,
            to_status=e.to_status,
            actor=_author(e.actor),
            reviewer=_author(e.reviewer),
            comment=e.comment,
            created_at=e.created_at,
        )
        for e in entries
    ]
