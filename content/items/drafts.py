"""What a creator writes: the draft's fields, checked as a whole before they become a revision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.accounts import DISCIPLINE_EXAMPLES
from content.errors import Invalid
from content.kit import check_disciplines, check_slugs, image_refs
from content.kit import clean_text as _clean_text
from content.models import (
    ContentType,
    Media,
    MediaKind,
    MediaStatus,
    Revision,
    User,
)
from infra.settings import Settings

MAX_REFERENCES = 50
MAX_BODY_IMAGES = 50
BODY_IMAGE_INVALID = "body.image_invalid"
EDITABLE_FIELDS = (
    "title", "summary", "body", "media_id", "cover_media_id", "topics", "audiences",
    "discipline", "references",
)  # fmt: skip


@dataclass
class Draft:
    """The fields a creator writes; None on an update means "leave as it is"."""

    title: str | None = None
    summary: str | None = None
    body: str | None = None
    media_id: str | None = None
    cover_media_id: str | None = None
    topics: list[str] | None = None
    audiences: list[str] | None = None
    discipline: str | None = None
    references: list[dict[str, Any]] | None = None
    given: set[str] = field(default_factory=set)  # fields present in the request, even as null


def _clean_references(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(refs) > MAX_REFERENCES:
        raise Invalid(f"at most {MAX_REFERENCES} references", field="references")
    out = []
    for i, ref in enumerate(refs):
        title = _clean_text(ref.get("title"), f"references[{i}].title", 500, required=True)
        url = (ref.get("url") or "").strip() or None
        if url is not None:
            parts = urlsplit(url)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or len(url) > 2000
                or any(ord(c) < 32 or ord(c) == 127 for c in url)  # control characters
            ):
                raise Invalid(
                    "a reference url must be an http(s) address", field=f"references[{i}].url"
                )
        out.append({"title": title, "url": url})
    return out


async def _check_media(
    session: AsyncSession, owner: User, media_id: str, kind: MediaKind, name: str
) -> None:
    media = await session.get(Media, media_id)
    if media is None or media.owner_id != owner.id:
        raise Invalid(f"{name}: no such media of yours; upload it first", field=name)
    if media.kind != kind:
        raise Invalid(f"{name} must be {kind.value} media", field=name)


async def validated(
    session: AsyncSession,
    settings: Settings,
    owner: User,
    ctype: ContentType,
    base: Revision | None,
    draft: Draft,
) -> dict[str, Any]:
    """The revision columns for ``draft`` laid over ``base``, checked as a whole."""

    def pick(name: str) -> Any:
        if name in draft.given or base is None:
            return getattr(draft, name)
        return getattr(base, name)

    values = _texts(settings, ctype, pick)
    values |= await _media(session, owner, ctype, pick)
    topics, audiences = await check_slugs(session, pick("topics") or [], pick("audiences") or [])
    if not topics:
        raise Invalid("choose at least one topic", field="topics")
    values["topics"], values["audiences"] = topics, audiences
    values["discipline"] = await _discipline(session, pick("discipline"))
    values["references"] = _clean_references(pick("references") or [])
    return values


_Pick = Callable[[str], Any]


def _texts(settings: Settings, ctype: ContentType, pick: _Pick) -> dict[str, Any]:
    """Title, summary and body; an article needs a body, a video may have one."""
    values: dict[str, Any] = {
        "title": _clean_text(pick("title"), "title", settings.max_title_chars, required=True),
        "summary": _clean_text(
            pick("summary"), "summary", settings.max_summary_chars, required=False
        ),
    }
    body = pick("body")
    if ctype == ContentType.article:
        values["body"] = _clean_text(body, "body", settings.max_body_chars, required=True)
    elif body is not None:
        values["body"] = _clean_text(body, "body", settings.max_body_chars, required=False)
    else:
        values["body"] = None
    return values


async def _media(
    session: AsyncSession, owner: User, ctype: ContentType, pick: _Pick
) -> dict[str, Any]:
    """A video's own media (an article has none) and the cover image, both the owner's."""
    media_id = pick("media_id")
    if ctype == ContentType.video:
        if not media_id:
            raise Invalid("a video needs media_id (upload the video first)", field="media_id")
        await _check_media(session, owner, media_id, MediaKind.video, "media_id")
    elif media_id:
        raise Invalid(
            "an article has no media_id; use cover_media_id for its image", field="media_id"
        )
    cover = pick("cover_media_id")
    if cover:
        await _check_media(session, owner, cover, MediaKind.image, "cover_media_id")
    return {"media_id": media_id or None, "cover_media_id": cover or None}


async def body_images(session: AsyncSession, owner: User, body: str | None) -> list[str]:
    """The media ids ``body`` shows as images (`![说明](media:<id>)`), each an image of
    ``owner``'s that did not fail processing (it may still be processing: the machine stage
    waits for it). A missing id and another user's answer alike, so ids reveal nothing."""
    refs = image_refs(body)
    if not refs:
        return []
    if len(refs) > MAX_BODY_IMAGES:
        raise Invalid(
            f"body: at most {MAX_BODY_IMAGES} images", field="body", code=BODY_IMAGE_INVALID
        )
    rows = await session.exec(
        select(Media).where(col(Media.id).in_(refs), Media.owner_id == owner.id)
    )
    found = {m.id: m for m in rows.all()}
    for ref in refs:
        media = found.get(ref)
        if media is None:
            problem = "no such image of yours; upload it first"
        elif media.kind != MediaKind.image:
            problem = f"is {media.kind.value} media; a body shows images only"
        elif media.status == MediaStatus.failed:
            problem = f"could not be processed ({media.error or 'unknown reason'}); upload another"
        else:
            continue
        raise Invalid(f"body: media:{ref} {problem}", field="body", code=BODY_IMAGE_INVALID)
    return refs


async def _discipline(session: AsyncSession, given: str | None) -> str:
    if not (given or "").strip():
        *others, last = DISCIPLINE_EXAMPLES
        raise Invalid(
            f"choose a discipline such as {', '.join(others)} or {last} "
            "(GET /api/v1/disciplines lists them)",
            field="discipline",
        )
    (discipline,) = await check_disciplines(session, [given or ""], "discipline")
    return discipline
