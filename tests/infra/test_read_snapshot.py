"""Read sessions see one moment: a request that reads several rows never mixes a row from
before a commit with a row from after it (the detail of a content read its old status with its
revision's new stage while the machine stage committed in between)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, select

from content.models import User
from infra.services import Services


async def test_a_read_session_keeps_its_snapshot_while_others_commit(services: Services) -> None:
    async with services.write_sessions() as session:
        user = User(display_name="before", roles=["viewer"])
        session.add(user)
        await session.commit()
    name = select(User.display_name).where(col(User.id) == user.id)

    async with services.read_sessions() as reader:
        assert (await reader.exec(name)).one() == "before"
        async with services.write_sessions() as writer:
            await writer.exec(
                sa.update(User).where(col(User.id) == user.id).values(display_name="after")
            )
            await writer.commit()
        # The same request, a statement later: still the moment it started reading.
        assert (await reader.exec(name)).one() == "before"

    async with services.read_sessions() as later:
        assert (await later.exec(name)).one() == "after"
