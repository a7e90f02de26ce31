"""Reference data every installation starts with; idempotent, run after migrations."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import Audience, ScreeningTerm, Severity, Topic
from content.screening import DEFAULT_TERMS
from content.taxonomy import AUDIENCES, TOPICS


async def seed(session: AsyncSession) -> None:
    have_topics = set((await session.exec(select(Topic.slug))).all())
    for pos, (slug, name) in enumerate(TOPICS):
        if slug not in have_topics:
            session.add(Topic(slug=slug, name=name, position=pos))
    have_audiences = set((await session.exec(select(Audience.slug))).all())
    for pos, (slug, name) in enumerate(AUDIENCES):
        if slug not in have_audiences:
            session.add(Audience(slug=slug, name=name, position=pos))
    # The default dictionary is seeded once; after that operators own it (deleting a default
    # term must stick), so only an empty dictionary is filled.
    if (await session.exec(select(ScreeningTerm.id).limit(1))).first() is None:
        session.add_all(
            ScreeningTerm(term=t.term, category=t.category, severity=Severity(t.severity))
            for t in DEFAULT_TERMS
        )
