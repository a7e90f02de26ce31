"""What a draft must hold, tried on `items.create` and `items.edit` in a rolled-back session: a bad
field is refused as ``invalid`` naming it, and nothing is written. What the request schema refuses
before the service sees it is tried over HTTP in tests/api/test_bad_input.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import items
from content.errors import Invalid
from content.items import Draft
from content.models import Content, ContentType, Revision, User
from infra.settings import Settings
from tests import factories as f

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Combining marks with nothing to sit on: acute accents, a strikethrough, Thai tone marks, an
# enclosing circle, variation selectors; each renders as stray dots or nothing.
MARKS_ONLY = "\u0301\u0301\u0336\u0e49\u20dd\ufe0f"


def _draft(**overrides: Any) -> Draft:
    """The factories' article as the service takes it (the API's ``type`` aside)."""
    return Draft(**{k: v for k, v in f.article(**overrides).items() if k != "type"})


async def _contents_of(session: AsyncSession, owner: User) -> int:
    count = await session.exec(
        select(func.count()).select_from(Content).where(col(Content.owner_id) == owner.id)
    )
    return count.one()


async def _refused(session: AsyncSession, settings: Settings, **overrides: Any) -> Invalid:
    """Creating an article with ``overrides`` is refused as invalid and writes nothing."""
    creator = await f.user_in_session(session, "creator")
    with pytest.raises(Invalid) as refused:
        await items.create(session, settings, creator, ContentType.article, _draft(**overrides))
    assert refused.value.code == "invalid"
    assert await _contents_of(session, creator) == 0
    return refused.value


async def test_unknown_topic_is_refused_naming_topics(
    session: AsyncSession, settings: Settings
) -> None:
    refused = await _refused(session, settings, topics=["health", "astrology"])
    assert refused.field == "topics"
    assert "astrology" in refused.message


async def test_unknown_audience_is_refused_naming_audiences(
    session: AsyncSession, settings: Settings
) -> None:
    assert (await _refused(session, settings, audiences=["aliens"])).field == "audiences"


@pytest.mark.parametrize("title", ["", "   \n\t "])
async def test_empty_title_is_refused_naming_title(
    session: AsyncSession, settings: Settings, title: str
) -> None:
    assert (await _refused(session, settings, title=title)).field == "title"


async def test_title_over_the_configured_maximum_is_refused(
    session: AsyncSession, settings: Settings
) -> None:
    long_title = "科" * (settings.max_title_chars + 1)
    assert (await _refused(session, settings, title=long_title)).field == "title"


async def test_title_at_the_configured_maximum_is_accepted(
    session: AsyncSession, settings: Settings
) -> None:
    creator = await f.user_in_session(session, "creator")
    title = "科" * settings.max_title_chars
    view = await items.create(session, settings, creator, ContentType.article, _draft(title=title))
    assert len(view.revision.title) == settings.max_title_chars


async def test_body_over_the_configured_maximum_is_refused(
    session: AsyncSession, settings: Settings
) -> None:
    long_body = "字" * (settings.max_body_chars + 1)
    assert (await _refused(session, settings, body=long_body)).field == "body"


@pytest.mark.parametrize("missing", [None, "", "  "])
async def test_article_without_body_is_refused(
    session: AsyncSession, settings: Settings, missing: str | None
) -> None:
    assert (await _refused(session, settings, body=missing)).field == "body"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "http://"]
)
async def test_reference_url_that_is_not_http_is_refused_naming_it(
    session: AsyncSession, settings: Settings, url: str
) -> None:
    refused = await _refused(session, settings, references=[{"title": "来源", "url": url}])
    assert refused.field == "references[0].url"


async def test_missing_discipline_is_refused_naming_discipline(
    session: AsyncSession, settings: Settings
) -> None:
    assert (await _refused(session, settings, discipline=None)).field == "discipline"


@pytest.mark.parametrize("field", ["title", "summary", "body"])
async def test_nul_character_in_text_is_refused_naming_the_field(
    session: AsyncSession, settings: Settings, field: str
) -> None:
    assert (await _refused(session, settings, **{field: "流感\x00疫苗"})).field == field


async def test_nul_character_in_a_reference_is_refused_naming_it(
    session: AsyncSession, settings: Settings
) -> None:
    refs = [{"title": "指南\x00", "url": "https://example.org/\x00"}]
    refused = await _refused(session, settings, references=refs)
    assert refused.field is not None and refused.field.startswith("references[0]")


# -- text that shows nothing -----------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "summary"])
@pytest.mark.parametrize(
    "text",
    [
        ZERO_WIDTH,
        f" {ZERO_WIDTH}\u3000 ",
        "\u3164\u2800",
        MARKS_ONLY,
        f" \u0301{ZERO_WIDTH}\u0301 ",  # marks on a space and on zero-width characters
        "\u0336" * 40,
    ],
)
async def test_title_or_summary_of_only_invisible_characters_is_refused_naming_it(
    session: AsyncSession, settings: Settings, field: str, text: str
) -> None:
    assert (await _refused(session, settings, **{field: text})).field == field


@pytest.mark.parametrize("text", [ZERO_WIDTH, MARKS_ONLY])
async def test_editing_a_title_to_nothing_visible_is_refused_and_keeps_the_old_title(
    session: AsyncSession, settings: Settings, text: str
) -> None:
    creator = await f.user_in_session(session, "creator")
    view = await items.create(session, settings, creator, ContentType.article, _draft())
    with pytest.raises(Invalid) as refused:
        await items.edit(
            session, settings, creator, view.content.id, Draft(title=text, given={"title"})
        )
    assert (refused.value.code, refused.value.field) == ("invalid", "title")
    revision = await session.get(Revision, view.revision.id, populate_existing=True)
    assert revision is not None and revision.title == f.article()["title"]


async def test_a_title_with_invisible_characters_inside_visible_text_is_kept_without_them(
    session: AsyncSession, settings: Settings
) -> None:
    creator = await f.user_in_session(session, "creator")
    # A zero-width joiner and a right-to-left override (which would show the rest reversed).
    draft = _draft(title="科普\u200d知\u202e识", summary="\u2066摘要\u2069", body="正\u200b文")
    view = await items.create(session, settings, creator, ContentType.article, draft)
    stored = await session.get(Revision, view.revision.id, populate_existing=True)
    assert stored is not None
    assert (stored.title, stored.summary, stored.body) == ("科普知识", "摘要", "正文")
