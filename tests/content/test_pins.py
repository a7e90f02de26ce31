"""The dates a pin takes, tried on `items.pin` in a rolled-back session."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from content import items
from content.errors import Invalid
from content.models import Content
from infra.settings import Settings
from tests import factories as f


async def test_pin_until_past_the_last_date_is_refused(
    session: AsyncSession, settings: Settings
) -> None:
    content_id = (await f.published_in_session(session, settings)).content.id
    # Past the last moment a datetime holds once it is moved to UTC.
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14)))
    with pytest.raises(Invalid) as refused:
        await items.pin(session, content_id, last)
    assert refused.value.code == "pin.invalid_until"
    content = await session.get(Content, content_id, populate_existing=True)
    assert content is not None and content.pinned_until is None
