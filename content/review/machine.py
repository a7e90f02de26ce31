"""The machine stage: screen a submitted revision (with WeChat's findings beside ours) and move
it on, or block it; media must be ready first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import search
from content.models import (
    Action,
    Content,
    Media,
    MediaStatus,
    Revision,
    RevisionImage,
    RevisionState,
    Severity,
    Stage,
    TextReading,
    User,
)
from content.review import transitions, workflow
from content.screening import (
    Check,
    Finding,
    blocking,
    current_screener,
    revision_fields,
    screen_revision,
)
from infra.clock import utcnow


async def _media_of(session: AsyncSession, revision: Revision) -> list[tuple[str, Media | None]]:
    """The revision's media (a video, its cover, the images its body shows), by field; None
    where it is gone. Body images go through the same image pipeline as covers (a display-size
    copy without metadata), so they are held to the same: ready, or the revision is blocked."""
    own = [
        (field, await session.get(Media, media_id))
        for field, media_id in (
            ("media_id", revision.media_id),
            ("cover_media_id", revision.cover_media_id),
        )
        if media_id is not None  # a video without media_id never passes validation
    ]
    images = await session.exec(
        select(Media)
        .join(RevisionImage, col(RevisionImage.media_id) == col(Media.id))
        .where(RevisionImage.revision_id == revision.id)
        .order_by(col(Media.id))
    )
    return own + [("body", media) for media in images.all()]


async def texts_for_second_opinion(
    session: AsyncSession, revision_id: str
) -> tuple[dict[str, str], str | None] | None:
    """What the machine stage would screen now, and its author's WeChat openid (WeChat's check
    needs it): None while the revision is not ready for the stage, so WeChat is not asked for
    nothing. Read before the stage's own transaction, which must not wait on WeChat."""
    revision = await session.get(Revision, revision_id)
    if revision is None or transitions.revision_state(revision) != Stage.machine:
        return None
    media = await _media_of(session, revision)
    if any(m is None or m.status != MediaStatus.ready for _, m in media):
        return None
    author = await session.exec(
        select(User.wechat_openid)
        .join(Content, col(Content.owner_id) == col(User.id))
        .where(Content.id == revision.content_id)
    )
    fields = revision_fields(revision)
    # What the video and the cover show, as search indexes it: each line once, subtitles
    # preferred to the frames' text (they say the same words), in one more text.
    read = search.media_lines(revision, {m.id: m for _, m in media if m is not None})
    if read:
        fields["media_text"] = "\n".join(read)
    return fields, author.first()


async def run_machine_stage(
    session: AsyncSession, revision_id: str, second_opinion: Sequence[Finding] = ()
) -> str:
    """Screen a revision in the machine stage and move it on, with WeChat's findings on it
    (`second_opinion`, asked beforehand) next to ours. Returns what happened; safe to run twice
    (a revision no longer in the machine stage is left alone)."""
    revision = await session.get(Revision, revision_id)
    if revision is None or transitions.revision_state(revision) != Stage.machine:
        return "skipped"
    content = await session.get(Content, revision.content_id)
    if content is None:  # the foreign key rules it out; nothing to screen then
        return "skipped"
    # Media must be processed before anyone sees it: wait for it, or stop here if it failed.
    media = await _media_of(session, revision)
    for field, item in media:
        if item is None or item.status == MediaStatus.failed:
            reason = item.error if item and item.error else "the media could not be processed"
            return await _block_for_media(session, content, revision, field, reason)
        if item.status != MediaStatus.ready:
            return "waiting_for_media"
    screener = await current_screener(session)
    timed, unread = _read_off_media(media)
    findings = screen_revision(screener, revision, timed) + unread
    # Stamped with the dictionary of this screening, like ours.
    findings += [replace(f, dictionary_version=screener.version) for f in second_opinion]
    revision.findings = [f.as_dict() for f in findings]
    session.add(revision)
    if blocking(findings):
        first = next(f for f in findings if f.severity == Severity.block)
        await workflow.apply(session, content, revision, Action.block, None, comment=first.message)
        return "blocked"
    await workflow.apply(session, content, revision, Action.pass_, None)
    return "passed"


# Where the text read off each of a revision's media is screened (content/screening/revisions.py).
_TEXT_FIELD = {"media_id": "video_text", "cover_media_id": "cover_text", "body": "image_text"}
_UNREAD = {
    "video_text": "画面文字未能读取，请完整观看视频 / the text on the video's frames could not be "
    "read: watch all of it",
    "cover_text": "封面文字未能读取，请查看封面 / the text on the cover could not be read: "
    "look at it",
    "image_text": "图片文字未能读取，请查看正文图片 / the text on a picture of the body could not "
    "be read: look at them",
}


def _read_off_media(
    media: list[tuple[str, Media | None]],
) -> tuple[dict[str, list[dict[str, Any]]], list[Finding]]:
    """The text read off the revision's media, as timed segments by screened field (a video's
    subtitles apart from its frames: both are screened, so a clean subtitle file hides nothing
    burned into the picture), and a warning for each item whose text could not be read."""
    timed: dict[str, list[dict[str, Any]]] = {}
    unread: dict[str, Finding] = {}
    for field, item in media:
        if item is None:
            continue
        name = _TEXT_FIELD[field]
        timed.setdefault(name, []).extend(item.text_segments)
        if item.captions:
            timed.setdefault("subtitles", []).extend(item.captions)
        if item.text_status == TextReading.failed:
            unread[name] = Finding(Check.media, Severity.warn, name, 0, 0, "", _UNREAD[name])
    return timed, list(unread.values())


async def _block_for_media(
    session: AsyncSession, content: Content, revision: Revision, field: str, reason: str
) -> str:
    revision.findings = [Finding(Check.media, Severity.block, field, 0, 0, "", reason).as_dict()]
    session.add(revision)
    await workflow.apply(session, content, revision, Action.block, None, comment=reason)
    return "blocked"


async def stuck_in_machine_stage(session: AsyncSession, older_than_s: float) -> list[str]:
    """Revisions submitted over ``older_than_s`` ago and still waiting for the machine stage
    (their job was lost, or their media is still processing)."""
    rows = await session.exec(
        select(Revision.id).where(
            Revision.state == RevisionState.in_review,
            Revision.stage == Stage.machine,
            col(Revision.submitted_at) < utcnow() - timedelta(seconds=older_than_s),
        )
    )
    return list(rows.all())
