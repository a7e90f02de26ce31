"""Search on its service, on PostgreSQL and on SQLite alike: what it finds (published text,
by Chinese words), in which order, with which snippet, and that what leaves publication leaves
search in the same transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from content import items, review, search
from content.errors import Invalid
from content.models import Action, Content, ContentType, Media, MediaKind, Revision, Stage, User
from content.search import text as search_text
from infra.settings import Settings
from tests import factories as f


async def _published(session: AsyncSession, settings: Settings, **fields: Any) -> str:
    view = await f.published_in_session(session, settings, **fields)
    return view.content.id


async def _ids(session: AsyncSession, q: str, **kw: Any) -> list[str]:
    page = await search.search(session, q, **kw)
    return [hit.card.content.id for hit in page.hits]


async def test_finds_published_text_by_chinese_words_with_a_marked_snippet(
    either_session: AsyncSession, settings: Settings
) -> None:
    session = either_session
    content_id = await _published(
        session,
        settings,
        title="黑洞是怎样形成的",
        summary="从恒星的一生讲起。",
        body="## 引力坍缩\n\n大质量恒星燃尽核燃料后，**引力坍缩**形成黑洞。<b>&</b>",
    )
    owner = (await f.user_in_session(session, "creator")).id
    await f.draft_in_session(session, settings, owner, title="黑洞草稿", body="引力坍缩的草稿")

    page = await search.search(session, "引力坍缩")
    assert [hit.card.content.id for hit in page.hits] == [content_id]  # the draft is not found
    snippet = page.hits[0].snippet
    assert "<em>引力</em>" in snippet or "<em>引力坍缩</em>" in snippet
    assert "**" not in snippet and "##" not in snippet  # what readers see, not the Markdown
    assert snippet.replace("<em>", "").replace("</em>", "").count("<") == 0  # the rest escaped
    # A word inside a longer one is found (jieba's search mode indexes the parts).
    assert await _ids(session, "恒星") == [content_id]
    assert await _ids(session, "核燃料 黑洞") == [content_id]  # every word, in any order
    assert await _ids(session, "黑洞 月球") == []  # one word missing: not a match


async def test_title_above_summary_above_body_then_newest_first(
    either_session: AsyncSession, settings: Settings
) -> None:
    session = either_session
    body_many = await _published(
        session, settings, title="海洋观察", summary="潮汐的故事。",
        body="珊瑚礁。" * 30 + "\n\n珊瑚礁白化。",
    )  # fmt: skip
    in_summary = await _published(
        session, settings, title="热带海洋", summary="珊瑚礁为何白化。", body="海水变暖。"
    )
    in_title = await _published(
        session, settings, title="珊瑚礁的秘密", summary="海底的森林。", body="海水变暖。"
    )
    assert await _ids(session, "珊瑚礁") == [in_title, in_summary, body_many]

    same = {"title": "蝴蝶效应", "summary": "混沌。", "body": "一个例子。"}
    older = await _published(session, settings, **same)
    newer = await _published(session, settings, **same)
    assert await _ids(session, "蝴蝶效应") == [newer, older]


async def test_pages_follow_each_other_without_repeats_or_gaps(
    either_session: AsyncSession, settings: Settings
) -> None:
    session = either_session
    made = {
        await _published(session, settings, title=f"量子纠缠第{i}讲", body="量子纠缠。" * (i + 1))
        for i in range(5)
    }
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = await search.search(session, "量子纠缠", cursor=cursor, limit=2)
        seen += [hit.card.content.id for hit in page.hits]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and set(seen) == made


async def test_takedown_and_withdrawal_leave_search_in_their_transaction(
    either_session: AsyncSession, settings: Settings
) -> None:
    session = either_session
    taken = await _published(session, settings, title="永动机骗局", body="永动机不存在。")
    withdrawn = await _published(session, settings, title="永动机的历史", body="永动机的尝试。")
    assert set(await _ids(session, "永动机")) == {taken, withdrawn}

    admin = await f.user_in_session(session, "admin")
    await items.takedown(session, admin, taken, "伪科学")
    assert await _ids(session, "永动机") == [withdrawn]
    content = await session.get(Content, withdrawn)
    owner = await session.get(User, content.owner_id) if content else None
    assert owner is not None
    await items.withdraw(session, owner, withdrawn)
    assert await _ids(session, "永动机") == []


async def test_a_new_live_revision_replaces_the_words_search_knows(
    either_session: AsyncSession, settings: Settings
) -> None:
    session = either_session
    view = await f.published_in_session(session, settings, title="火山喷发", body="岩浆上涌。")
    political = await f.user_in_session(session, "political_reviewer")
    science = await f.user_in_session(session, "science_reviewer", disciplines=("medicine",))
    draft = items.Draft(title="地震预警", body="地震波。", given={"title", "body"})
    edited = await items.edit(session, settings, view.author, view.content.id, draft)
    await items.submit(session, view.author, view.content.id)
    assert await review.run_machine_stage(session, edited.revision.id) == "passed"
    task = await f.open_task_in_session(session, view.content.id, Stage.political)
    await review.decide(session, political, task, Action.approve, None)
    task = await f.open_task_in_session(session, view.content.id, Stage.science)
    await review.decide(session, science, task, Action.approve, None)

    assert await _ids(session, "地震预警") == [view.content.id]
    assert await _ids(session, "火山喷发") == []


@pytest.mark.parametrize(
    "query",
    [
        '"', '"量子', "量子*", "NEAR(量子 纠缠)", "量子 OR 纠缠", "量子 AND NOT 纠缠",
        "'; DROP TABLE content; --", "-- 量子", "title:量子", "{title}: 量子", "量子^", "(量子",
        "量子 & 纠缠 | !", "a:*", "\\", "＂全角＂",
    ],
)  # fmt: skip
async def test_query_syntax_is_only_words(
    either_session: AsyncSession, settings: Settings, query: str
) -> None:
    session = either_session
    content_id = await _published(session, settings, title="量子纠缠", body="量子与纠缠。")
    found = await _ids(session, query)
    assert found in ([], [content_id])  # literal words: found or not, never an error
    assert await _ids(session, "量子纠缠") == [content_id]  # and nothing was harmed


async def test_bad_input_is_an_empty_result_or_names_its_field(
    either_session: AsyncSession,
) -> None:
    session = either_session
    for nothing in ("，。！？、……", "   ", '*** --- ""', "😀🎉"):
        page = await search.search(session, nothing)
        assert page.hits == [] and page.next_cursor is None
    refusals = [
        ("q", {"q": "科" * (search.MAX_QUERY_CHARS + 1)}),
        ("topic", {"q": "科学", "topic": "no-such-topic"}),
        ("cursor", {"q": "科学", "cursor": "not-a-cursor"}),
        ("cursor", {"q": "科学", "cursor": "WzEsMiwzXQ"}),  # [1,2,3]
    ]
    for field, kw in refusals:
        with pytest.raises(Invalid) as refused:
            await search.search(session, **kw)
        assert refused.value.field == field


async def test_topic_and_type_narrow_the_results(
    either_session: AsyncSession, settings: Settings
) -> None:
    session = either_session
    health = await _published(session, settings, title="睡眠与健康", topics=["health"])
    space = await _published(session, settings, title="太空中的睡眠", topics=["frontier-tech"])
    assert set(await _ids(session, "睡眠")) == {health, space}
    assert await _ids(session, "睡眠", topic="frontier-tech") == [space]
    assert await _ids(session, "睡眠", type_=ContentType.video) == []
    assert set(await _ids(session, "睡眠", type_=ContentType.article)) == {health, space}


def _lines(revision: Revision, media: dict[str, Media]) -> list[str]:
    return [line for line in search.searchable_text(revision, media).body.split("\n") if line]


def test_a_videos_subtitles_stand_for_its_frames_each_line_once_with_its_covers() -> None:
    revision = Revision(
        content_id="c", number=1, author_id="u", title="极地", summary="冰原", body="正文一句。",
        media_id="video", cover_media_id="cover", discipline="biology",
    )  # fmt: skip
    frames = [{"t_start": 0, "t_end": 2, "text": "海豹 是它的食物"}, {"t_start": 2, "text": "水印"}]
    video = Media(id="video", owner_id="u", kind=MediaKind.video, object_key="k", size=1)
    cover = Media(id="cover", owner_id="u", kind=MediaKind.image, object_key="k", size=1)
    cover.text_segments = [{"text": "北极熊"}, {"text": "  "}]
    media = {"video": video, "cover": cover}

    # Without subtitles, the frames' text; a line read again later counts once.
    video.text_segments = [*frames, {"t_start": 5, "text": "海豹是它的食物"}]
    assert _lines(revision, media) == ["正文一句。", "海豹 是它的食物", "水印", "北极熊"]
    # With them, the subtitles alone: they say the frames' words, and say them right.
    video.captions = [{"t_start": 0, "t_end": 2, "text": "海豹是它的食物"}]
    assert _lines(revision, media) == ["正文一句。", "海豹是它的食物", "北极熊"]
    # All of it within the body's bound, the author's own text first.
    revision.body = "字" * search_text.MAX_BODY_CHARS
    bounded = search.searchable_text(revision, media).body
    assert len(bounded) == search_text.MAX_BODY_CHARS and "北极熊" not in bounded
