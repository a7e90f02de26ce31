"""Reference data every installation starts with; idempotent, run after migrations."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.kit import AUDIENCES, TOPICS
from content.models import Audience, Rumor, ScreeningTerm, Severity, Topic
from content.screening import DEFAULT_RUMORS, DEFAULT_TERMS, bump_version, normalize


async def seed(session: AsyncSession) -> None:
    have_topics = set((await session.exec(select(Topic.slug))).all())
    for pos, (slug, name) in enumerate(TOPICS):
        if slug not in have_topics:
            session.add(Topic(slug=slug, name=name, position=pos))
    have_audiences = set((await session.exec(select(Audience.slug))).all())
    for pos, (slug, name) in enumerate(AUDIENCES):
        if slug not in have_audiences:
            session.add(Audience(slug=slug, name=name, position=pos))
    # The default dictionary and rumor library are seeded once each; after that operators own
    # them (deleting a default entry must stick), so only an empty table is filled.
    changed = False
    if (await session.exec(select(ScreeningTerm.id).limit(1))).first() is None:
        session.add_all(
            ScreeningTerm(
                term=t.term,
                category=t.category,
                severity=Severity(t.severity),
                key=normalize(t.term),
                pinyin=t.pinyin,
            )
            for t in DEFAULT_TERMS
        )
        changed = True
    if (await session.exec(select(Rumor.id).limit(1))).first() is None:
        session.add_all(
            Rumor(claim=claim, truth=truth, keywords=list(keywords), source=source)
            for _, claim, keywords, truth, source in DEFAULT_RUMORS
        )
        changed = True
    if changed:
        await session.flush()
        await bump_version(session)
