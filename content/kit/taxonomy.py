"""Topics and audiences (the fixed vocabularies of the contract) and disciplines (a list operators
manage), each a slug with a Chinese name."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import String, cast, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Conflict, Invalid, NotFound
from content.kit.text import clean_text
from content.models import Audience, Discipline, Revision, Topic, User

TOPICS: tuple[tuple[str, str], ...] = (
    ("carbon-neutrality", "双碳"),
    ("food-safety", "食品安全"),
    ("emergency", "应急避险"),
    ("health", "健康"),
    ("mental-health", "心理健康"),
    ("rural-revitalization", "乡村振兴"),
    ("youth-stem", "青少年科技教育"),
    ("frontier-tech", "前沿科技"),
    ("rumor-debunk", "科学辟谣"),
)
AUDIENCES: tuple[tuple[str, str], ...] = (
    ("youth", "青少年"),
    ("farmers", "农民"),
    ("workers", "产业工人"),
    ("elderly", "老年人"),
    ("officials", "领导干部和公务员"),
)


async def list_topics(session: AsyncSession) -> list[Topic]:
    return list((await session.exec(select(Topic).order_by(col(Topic.position)))).all())


async def list_audiences(session: AsyncSession) -> list[Audience]:
    return list((await session.exec(select(Audience).order_by(col(Audience.position)))).all())


async def check_slugs(
    session: AsyncSession, topics: Iterable[str], audiences: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Deduplicated slugs, or Invalid naming the unknown ones."""
    topic_list = list(dict.fromkeys(topics))
    audience_list = list(dict.fromkeys(audiences))
    for field, wanted in (("topics", topic_list), ("audiences", audience_list)):
        if any("\x00" in s for s in wanted):
            raise Invalid(f"{field} contain a NUL character", field=field)
    for field, model, wanted in (
        ("topics", Topic, topic_list),
        ("audiences", Audience, audience_list),
    ):
        if not wanted:
            continue
        found = set(
            (await session.exec(select(model.slug).where(col(model.slug).in_(wanted)))).all()
        )
        unknown = [s for s in wanted if s not in found]
        if unknown:
            raise Invalid(
                f"unknown {field[:-1]} slug(s): {', '.join(unknown)}; "
                f"GET /api/v1/{field} lists them",
                field=field,
            )
    return topic_list, audience_list


_DISCIPLINE_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,63}$")


async def list_disciplines(session: AsyncSession) -> list[Discipline]:
    rows = await session.exec(select(Discipline).order_by(col(Discipline.position)))
    return list(rows.all())


async def check_disciplines(session: AsyncSession, slugs: Iterable[str], field: str) -> list[str]:
    """``slugs`` (trimmed, lowercased, deduplicated) if every one is on the list; Invalid
    ``discipline.unknown`` naming ``field`` otherwise."""
    wanted = list(dict.fromkeys(s.strip().lower() for s in slugs))
    if not wanted:
        return []
    if any(len(s) > 64 or "\x00" in s for s in wanted):
        raise Invalid(f"{field}: not a discipline slug", field=field, code="discipline.unknown")
    # Shared locks until the caller commits: a removal of one of them waits, then sees it used.
    query = (
        select(Discipline.slug).where(col(Discipline.slug).in_(wanted)).with_for_update(read=True)
    )
    found = set((await session.exec(query)).all())
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise Invalid(
            f"unknown discipline(s): {', '.join(unknown)}; GET /api/v1/disciplines lists them",
            field=field,
            code="discipline.unknown",
        )
    return wanted


async def add_discipline(session: AsyncSession, slug: str, name: str) -> Discipline:
    slug = slug.strip().lower()
    if not _DISCIPLINE_SLUG.match(slug):
        raise Invalid(
            "slug: 2–64 lowercase letters, digits or '-', starting with a letter", field="slug"
        )
    name = clean_text(name, "name", 64, required=True)
    if await session.get(Discipline, slug) is not None:
        raise Conflict(f"the discipline {slug!r} exists", code="discipline.exists")
    last = (await session.exec(select(func.max(Discipline.position)))).one()
    discipline = Discipline(slug=slug, name=name, position=(last or 0) + 1)
    session.add(discipline)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same slug added at the same time
        raise Conflict(f"the discipline {slug!r} exists", code="discipline.exists") from exc
    return discipline


async def delete_discipline(session: AsyncSession, slug: str) -> None:
    """Remove a discipline no content (any revision) and no reviewer uses: one in use is a
    Conflict ``discipline.in_use`` — removing it would leave contents no reviewer can take."""
    # Locked first: a content or reviewer naming it meanwhile waits, or is seen below.
    discipline = await session.get(Discipline, slug, with_for_update=True)
    if discipline is None:
        raise NotFound(f"no discipline {slug!r}", code="discipline.not_found")
    used = select(Revision.id).where(col(Revision.discipline) == slug).limit(1)
    if (await session.exec(used)).first() is not None:
        raise Conflict(
            f"contents are filed under {slug!r}; it cannot be removed", code="discipline.in_use"
        )
    if await _reviewers_of(session, slug):
        raise Conflict(f"reviewers judge {slug!r}; it cannot be removed", code="discipline.in_use")
    await session.delete(discipline)
    await session.flush()


async def _reviewers_of(session: AsyncSession, slug: str) -> bool:
    # A JSON list on both SQLite and PostgreSQL: narrowed by its text, then read exactly.
    rows = await session.exec(
        select(User.disciplines).where(cast(User.disciplines, String).contains(f'"{slug}"'))
    )
    return any(slug in disciplines for disciplines in rows.all())
