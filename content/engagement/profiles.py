"""How a person shows to others: the display name (screened like what they publish) and the
avatar (an image they uploaded, processed like a cover). Lives above accounts because it reads
the screening dictionary."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Conflict, Invalid
from content.kit import clean_text
from content.models import Media, MediaKind, MediaStatus, Severity, User
from content.screening import current_screener

NAME_CHARS = 32  # what a card has room for; the column holds 64 for staff names


@dataclass
class ProfileChange:
    """What a profile update asks for: only the fields in ``given`` change; an avatar of None
    removes it."""

    display_name: str | None = None
    avatar_media_id: str | None = None
    given: set[str] = field(default_factory=set)


async def _screened_name(session: AsyncSession, value: str | None) -> str:
    name = clean_text(value, "display_name", NAME_CHARS, required=True)
    screener = await current_screener(session)
    findings = screener.scan({"display_name": name}, markdown=())
    blocked = next((f for f in findings if f.severity == Severity.block), None)
    if blocked is not None:
        raise Invalid(
            f"display_name: {blocked.message}",
            field="display_name",
            code="profile.name_blocked",
            finding=blocked.as_dict(),
        )
    return name


async def _avatar(session: AsyncSession, user: User, media_id: str) -> str:
    media = await session.get(Media, media_id)
    if media is None or media.owner_id != user.id:
        raise Invalid(
            "avatar_media_id: no such media of yours; upload the image first (POST /uploads)",
            field="avatar_media_id",
            code="avatar.not_found",
        )
    if media.kind != MediaKind.image:
        raise Invalid(
            "avatar_media_id: an avatar must be an image (JPEG, PNG, WebP or GIF)",
            field="avatar_media_id",
            code="avatar.not_image",
        )
    if media.status == MediaStatus.failed:
        raise Invalid(
            f"avatar_media_id: the image could not be processed ({media.error or 'unreadable'}); "
            "upload another",
            field="avatar_media_id",
            code="avatar.failed",
        )
    if media.status != MediaStatus.ready:
        raise Conflict(
            "the image is still being processed; set it as the avatar once GET /media/{id} "
            "says ready",
            code="avatar.not_ready",
        )
    return media.id


async def update_profile(session: AsyncSession, user: User, change: ProfileChange) -> User:
    """Change the caller's display name and/or avatar. Everything is checked before anything is
    written, so a refused update changes nothing."""
    values: dict[str, str | None] = {}
    if "display_name" in change.given:
        values["display_name"] = await _screened_name(session, change.display_name)
    if "avatar_media_id" in change.given:
        given = change.avatar_media_id
        values["avatar_media_id"] = await _avatar(session, user, given) if given else None
    for name, value in values.items():
        setattr(user, name, value)
    if values:
        session.add(user)
        await session.flush()
    return user
