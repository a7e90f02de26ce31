"""Operators' content pages over HTTP: finding any content by a word of its title or by its id,
reading one with its history and reports, taking it down (gone from the public feed at once),
pinning and unpinning it; bad input shown as a message with nothing written; a handful of SQL
statements per page, however many rows there are."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlmodel import func, select

from api.console.pages import CHINA
from api.console.routes.contents import rendition_720
from content import media
from content.models import (
    Action,
    Content,
    ContentStatus,
    ContentType,
    ReviewEvent,
    Revision,
    RevisionState,
)
from infra.services import Services
from tests import factories as f
from tests.console.harness import Console, queries
from tests.console.operating import error_of, feed_ids, operator, report, stored, word
from tests.media_files import video


async def row(services: Services, content_id: str) -> Content:
    return await stored(services, Content, content_id)


async def takedowns(services: Services, content_id: str) -> int:
    async with services.write_sessions() as session:
        n = await session.exec(
            select(func.count()).where(
                ReviewEvent.content_id == content_id, ReviewEvent.action == Action.takedown
            )
        )
        return n.one()


async def in_feed(client: httpx.AsyncClient, content_id: str) -> bool:
    return content_id in await feed_ids(client)


@dataclass
class Published:
    crew: f.Crew
    content_id: str
    path: str  # its console page


@pytest.fixture
async def published(console: Console, services: Services, client: httpx.AsyncClient) -> Published:
    """A crew's article, published; an operator signed in to ``console``."""
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    await operator(console, services)
    return Published(crew, content_id, f"/console/contents/{content_id}")


async def refused(
    console: Console, path: str, action: str, form: dict[str, str], error: str, message: str
) -> str:
    """``form`` sent to the content page ``path``'s ``action`` and refused: back on that page
    with ``error`` and ``message``; the page's text."""
    resp = await console.post(f"{path}/{action}", form, referer=path)
    assert resp.status_code == 303 and error_of(resp) == error, form
    assert resp.headers["location"] == path
    page = await console.get(path)
    assert message in page.text, form
    return page.text


async def test_an_operator_finds_published_content_by_a_word_of_its_title(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    w = word()
    content_id = await f.publish(client, crew, title=f"{w} 为什么会发光")
    await operator(console, services)
    with queries(services) as seen:
        resp = await console.get("/console/contents", params={"q": w})
    assert resp.status_code == 200
    assert f'href="/console/contents/{content_id}"' in resp.text
    assert f"{w} 为什么会发光" in resp.text and "已发布" in resp.text and "图文" in resp.text
    assert len(seen) <= 6, seen
    assert resp.text.count('<th scope="row" class="title">') == 1  # only the word's content
    nothing = await console.get("/console/contents", params={"q": word()})
    assert "没有找到" in nothing.text


async def test_an_id_finds_content_in_review_and_the_latest_are_listed_by_status(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    content_id, _ = await f.in_political(client, crew, title="还在审核的文章")
    await operator(console, services)
    resp = await console.get("/console/contents", params={"q": content_id})
    assert resp.status_code == 200
    assert "还在审核的文章" in resp.text and "审核中" in resp.text and "按编号查找" in resp.text
    latest = await console.get("/console/contents", params={"status": "in_review"})
    assert f'href="/console/contents/{content_id}"' in latest.text
    published = await console.get("/console/contents", params={"status": "published"})
    assert f'href="/console/contents/{content_id}"' not in published.text
    bad = await console.get("/console/contents", params={"status": "nonsense"})
    assert bad.status_code == 422 and error_of(bad) == "422 invalid"


async def rejected_rows(services: Services, owner_id: str, n: int) -> list[str]:
    """``n`` rejected articles written straight into the database (their history does not
    matter to a list): rows enough for more than a page."""
    ids = []
    async with services.write_sessions() as session:
        for i in range(n):
            content = Content(
                type=ContentType.article, owner_id=owner_id, status=ContentStatus.rejected
            )
            revision = Revision(
                content_id=content.id,
                number=1,
                author_id=owner_id,
                state=RevisionState.rejected,
                title=f"被驳回的第 {i} 篇",
                discipline="medicine",
            )
            content.working_revision_id = revision.id
            session.add(content)
            await session.flush()
            session.add(revision)
            ids.append(content.id)
        await session.commit()
    return ids


async def test_the_latest_list_costs_the_same_few_statements_for_any_number_of_rows(
    console: Console, services: Services
) -> None:
    creator = await f.person(services, "creator")
    await operator(console, services)
    few = await rejected_rows(services, creator.id, 2)
    with queries(services) as seen_few:
        await console.get("/console/contents", params={"status": "rejected"})
    many = await rejected_rows(services, creator.id, 40)
    with queries(services) as seen_many:
        resp = await console.get("/console/contents", params={"status": "rejected"})
    assert resp.status_code == 200 and resp.text.count('<th scope="row"') == 30
    assert len(seen_many) == len(seen_few) <= 4, seen_many
    assert f"/console/contents/{many[-1]}" in resp.text  # newest first
    # The next page, as its link gives it.
    link = re.search(r'href="(/console/contents\?[^"]*cursor=[^"]+)"', resp.text)
    assert link, "no link to the next page"
    more = await console.get(html.unescape(link.group(1)))
    assert more.status_code == 200 and f"/console/contents/{many[9]}" in more.text
    assert f"/console/contents/{few[0]}" in more.text or "下一页" in more.text


async def test_the_detail_page_shows_status_history_reports_and_the_body(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew, title="流感疫苗的真相")
    await report(client, await f.person(services, "viewer"), content_id, "rumor", "夸大其词")
    await operator(console, services)
    with queries(services) as seen:
        page = await console.get(f"/console/contents/{content_id}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>流感疫苗的真相</h1>" in text and "已发布" in text
    assert "科学审核 · 通过" in text and "政治审核 · 通过" in text  # the review history
    assert "待处理 1 条" in text  # report counts
    assert "研究表明，接种流感疫苗可以降低重症风险" in text  # the rendered body
    assert 'data-confirm="确定下架' in text and 'name="reason"' in text
    assert 'type="datetime-local"' in text
    assert len(seen) <= 8, seen


async def test_an_unknown_id_is_a_404_page(console: Console, services: Services) -> None:
    await operator(console, services)
    resp = await console.get("/console/contents/01jzzzzzzzzzzzzzzzzzzzzzzz")
    assert resp.status_code == 404 and error_of(resp) == "404 content.not_found"
    assert "找不到该内容" in resp.text and "<h1>找不到页面或内容</h1>" in resp.text


async def test_a_takedown_is_gone_from_the_public_feed_at_once_and_done_once(
    console: Console, services: Services, client: httpx.AsyncClient, published: Published
) -> None:
    content_id, path = published.content_id, published.path
    assert await in_feed(client, content_id)
    await console.get(path)
    resp = await console.post(f"{path}/takedown", {"reason": "含有不实的健康说法"})
    assert resp.status_code == 303 and error_of(resp) is None
    assert resp.headers["location"] == f"/console/contents/{content_id}"
    after = await console.get(resp.headers["location"])
    assert "已下架：" in after.text and 'id="content-status">已下架' in after.text
    assert "含有不实的健康说法" in after.text
    assert (await row(services, content_id)).status == ContentStatus.taken_down
    # Gone for the public at once: the feed and the content itself.
    assert not await in_feed(client, content_id)
    assert (await f.get(client, None, content_id)).status_code == 404

    # The same form sent again (a double click, a second tab): refused, done once.
    form = {"reason": "含有不实的健康说法"}
    await refused(
        console, path, "takedown", form, "409 workflow.invalid_state", "内容当前状态不允许此操作"
    )
    assert await takedowns(services, content_id) == 1


async def test_an_empty_or_too_long_reason_takes_nothing_down(
    console: Console, services: Services, client: httpx.AsyncClient, published: Published
) -> None:
    content_id, path = published.content_id, published.path
    for reason in ("", "   ", "长" * 501):
        message = "输入不符合要求（字段：reason）"
        await refused(console, path, "takedown", {"reason": reason}, "422 invalid", message)
    assert (await row(services, content_id)).status == ContentStatus.published
    assert await takedowns(services, content_id) == 0
    assert await in_feed(client, content_id)


async def test_html_in_a_title_and_a_reason_is_shown_as_text(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    w = word()
    title = f"{w}<script>alert(1)</script>"
    content_id = await f.publish(client, crew, title=title)
    await operator(console, services)
    listed = await console.get("/console/contents", params={"q": w})
    assert "<script>alert(1)" not in listed.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed.text
    path = f"/console/contents/{content_id}"
    reason = '<img src=x onerror="alert(2)">不实'
    await console.post(f"{path}/takedown", {"reason": reason}, referer=path)
    page = await console.get(path)
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;不实" in page.text


async def test_pinning_until_a_china_time_and_unpinning(
    console: Console, services: Services, client: httpx.AsyncClient, published: Published
) -> None:
    content_id, path = published.content_id, published.path
    await console.get(path)
    until = (datetime.now(CHINA) + timedelta(hours=3)).replace(second=0, microsecond=0)
    with queries(services) as seen:
        resp = await console.post(
            f"{path}/pin", {"until": until.strftime("%Y-%m-%dT%H:%M")}, referer=path
        )
    assert resp.status_code == 303 and error_of(resp) is None
    assert len(seen) <= 6, seen
    pinned = (await row(services, content_id)).pinned_until
    assert pinned is not None and pinned == until  # read as China's time
    page = await console.get(path)
    assert f"已置顶到 {until.strftime('%Y-%m-%d %H:%M')}" in page.text and "取消置顶" in page.text
    feed = await client.get("/api/v1/feed", params={"tab": "latest", "limit": 50})
    assert any(c["id"] == content_id and c["pinned"] for c in feed.json()["items"])

    resp = await console.post(f"{path}/unpin", referer=path)
    assert resp.status_code == 303 and error_of(resp) is None
    assert (await row(services, content_id)).pinned_until is None
    assert "已取消置顶" in (await console.get(path)).text


async def test_a_pin_in_the_past_or_unreadable_or_of_unpublished_content_is_refused(
    console: Console, services: Services, client: httpx.AsyncClient, published: Published
) -> None:
    crew = published.crew
    content_id, path = published.content_id, published.path
    past = (datetime.now(CHINA) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    for until in (past, "", "明天下午", "99999-01-01T00:00"):
        form = {"until": until}
        await refused(console, path, "pin", form, "422 pin.invalid_until", "置顶截止时间无效")
    assert (await row(services, content_id)).pinned_until is None

    in_review, _ = await f.in_political(client, crew)
    later = (datetime.now(CHINA) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    resp = await console.post(f"/console/contents/{in_review}/pin", {"until": later}, referer=path)
    assert error_of(resp) == "409 workflow.invalid_state"
    assert (await row(services, in_review)).pinned_until is None


async def test_a_refused_reason_or_pin_time_comes_back_in_its_field_once(
    console: Console, services: Services, published: Published
) -> None:
    content_id, path = published.content_id, published.path
    reason = "<b>不实</b>的说法" + "长" * 500  # over 500 characters: refused
    message = "输入不符合要求（字段：reason）"
    page = await refused(console, path, "takedown", {"reason": reason}, "422 invalid", message)
    typed = "&lt;b&gt;不实&lt;/b&gt;的说法" + "长" * 500
    assert f">{typed}</textarea>" in page and page.count(typed) == 1
    assert "<b>不实</b>" not in page
    again = await console.get(path)
    assert (
        "不实&lt;/b&gt;" not in again.text
        and 'placeholder="例如：含有未经证实的健康说法"></textarea>' in again.text
    )

    until = '明天下午"><b>6点'
    page = await refused(
        console, path, "pin", {"until": until}, "422 pin.invalid_until", "置顶截止时间无效"
    )
    assert 'value="明天下午&#34;&gt;&lt;b&gt;6点">' in page and page.count("明天下午") == 1
    again = await console.get(path)
    default = re.search(
        r'name="until" type="datetime-local" required min="[^"]+" value="([^"]+)"', again.text
    )
    assert default and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", default.group(1))
    assert (await row(services, content_id)).status == ContentStatus.published
    assert (await row(services, content_id)).pinned_until is None


async def test_reviewers_cannot_take_down(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(client, crew)
    await console.login(crew.political)
    resp = await console.post(
        f"/console/contents/{content_id}/takedown", {"reason": "试试"}, referer="/console/review"
    )
    assert error_of(resp) == "403 auth.missing_role"
    assert (await row(services, content_id)).status == ContentStatus.published


async def test_a_video_plays_its_720p_rendition_with_cover_and_duration(
    console: Console,
    services: Services,
    client: httpx.AsyncClient,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    crew = await f.crew(services)
    data = video(tmp_path_factory.mktemp("v") / "clip.mp4", seconds=1.0).read_bytes()
    media_id = await f.upload(client, crew.creator, data, "video/mp4", filename="clip.mp4")
    media = await f.settled_media(client, crew.creator, media_id, within=90)
    assert media["status"] == "ready", media
    content_id = await f.publish(
        client, crew, type="video", media_id=media_id, body=None, title="地震时怎样避险"
    )
    await operator(console, services)
    with queries(services) as seen:
        page = await console.get(f"/console/contents/{content_id}")
    assert page.status_code == 200 and "视频" in page.text
    player = re.search(r"<video [^>]*>", page.text)
    assert player, page.text
    assert 'src="http' in player.group(0) and 'poster="http' in player.group(0)
    assert "时长 1 秒" in page.text
    assert len(seen) <= 7, seen


def test_the_rendition_played_is_the_one_nearest_720p() -> None:
    def links(*sizes: tuple[int, int]) -> media.MediaLinks:
        return media.MediaLinks(
            renditions=[{"label": f"{min(s)}p", "width": s[0], "height": s[1]} for s in sizes]
        )

    played = rendition_720(links((640, 360), (1280, 720), (1920, 1080)))
    assert played is not None and played["label"] == "720p"
    portrait = rendition_720(links((360, 640), (720, 1280)))
    assert portrait is not None and portrait["label"] == "720p"
    assert rendition_720(links((320, 180)))["label"] == "180p"  # type: ignore[index]
    assert rendition_720(None) is None and rendition_720(links()) is None
