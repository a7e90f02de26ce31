"""Topics and audiences: the fixed vocabularies of the contract, with their Chinese names."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.errors import Invalid
from content.models import Audience, Topic

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
