"""The reviewers' pages in Debian's Chromium: a political reviewer takes the next task from the
queue, sees a finding marked in the text, approves with the keyboard and the next task opens; a
science reviewer approves; a video plays, and a line read off its frames moves the player to
its moment. No axe-core violation on any page; screenshots kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.services import Services
from tests import factories as f
from tests.console.harness import audit, log_in, shot
from tests.console.reviewing import (
    FLAGGED_BODY,
    political_task,
    quiet_political_queue,
    science_queue,
)
from tests.factories import person
from tests.media_files import captioned_video


async def test_a_political_reviewer_works_the_queue_by_keyboard(
    page: Any, services: Services
) -> None:
    await quiet_political_queue(services)
    creator = await person(services, "creator")
    political = await person(services, "political_reviewer")
    _, first = await political_task(
        services, creator, title="这种茶真能治糖尿病吗", body=FLAGGED_BODY
    )
    _, second = await political_task(services, creator, title="冬季如何科学预防流感")
    await log_in(page, political, lands_on="/console/review")
    assert await audit(page) == []
    await shot(page, "review-queues")
    # The counts follow the queue without a reload (htmx polls the same page for its table).
    political_row = page.locator("table.review-queues tbody tr", has_text="政治审核")
    before = int(await political_row.locator("td").first.inner_text())
    await political_task(services, creator, title="刚刚提交的一篇")
    await page.evaluate("() => htmx.trigger('#queues', 'refresh')")
    await political_row.locator("td").first.filter(has_text=str(before + 1)).wait_for()
    assert page.url.endswith("/console/review")
    await page.get_by_role("link", name="政治审核").click()
    await page.wait_for_url("**/console/review/queue/political")
    assert await page.locator("table.review-queue tbody tr").count() >= 2
    assert await audit(page) == []
    await shot(page, "review-queue")
    await page.keyboard.press("n")
    await page.wait_for_url(f"**/console/review/tasks/{first}")
    marks = page.locator("mark.finding")
    assert await marks.count() >= 1
    assert "根治" in await marks.all_inner_texts()
    assert await page.locator("#finding-0").is_visible()
    assert await audit(page) == []
    await shot(page, "review-article")
    await page.keyboard.press("a")
    await page.wait_for_url(f"**/console/review/tasks/{second}")
    message = await page.locator("main .message").inner_text()
    assert "已通过：《这种茶真能治糖尿病吗》" in message
    assert await audit(page) == []


async def test_a_science_reviewer_approves_with_a_comment_template(
    page: Any, services: Services
) -> None:
    discipline, science, [(_, task_id)] = await science_queue(services, "流感疫苗每年都要打吗")
    await log_in(page, science, lands_on="/console/review")
    await page.goto(f"/console/review/queue/science?discipline={discipline}")
    await page.get_by_role("button", name="开始审核下一条").click()
    await page.wait_for_url(f"**/console/review/tasks/{task_id}")
    assert "由你认领" in await page.locator(".claim").inner_text()
    await page.select_option("#template", label="引用可靠")
    assert "引用来源可靠" in await page.input_value("#comment")
    await page.locator("#comment").blur()  # shortcuts are off while typing in the box
    await page.keyboard.press("a")
    await page.wait_for_url(f"**/console/review/queue/science?discipline={discipline}")
    assert "已通过：《流感疫苗每年都要打吗》" in await page.locator("main .message").inner_text()
    assert await audit(page) == []


@pytest.mark.usefixtures("reading_text")
async def test_a_video_task_plays_its_720p_rendition_and_seeks_to_the_lines_on_its_frames(
    page: Any, services: Services, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    crew = await f.crew(services)
    captions = [(0.0, 2.0, "科学家发现了新的星系"), (2.0, 4.0, "星系之间相距遥远")]
    clip = captioned_video(tmp_path / "clip.mp4", captions, 1280, 720, 4).read_bytes()
    media_id = await f.upload(client, crew.creator, clip, "video/mp4", filename="clip.mp4")
    media = await f.settled_media(client, crew.creator, media_id, within=120)
    assert media["status"] == "ready" and media["text"]["status"] == "read", media
    content = await f.create(
        client, crew.creator, type="video", media_id=media_id, body=None, title="星系有多远"
    )
    await f.submit(client, crew.creator, content["id"])
    task = await f.wait_for_task(client, crew.political, "political", content["id"])
    await log_in(page, crew.political, lands_on="/console/review")
    await page.goto(f"/console/review/tasks/{task['id']}")
    player = page.locator("video")
    assert await player.get_attribute("poster")
    src = await player.get_attribute("src")
    assert src and src == next(r["url"] for r in media["renditions"] if r["label"] == "720p")
    assert "720p · 时长 4 秒" in await page.locator("main").inner_text()
    await page.wait_for_function("() => document.querySelector('video').readyState >= 1")

    # Beside the player, the lines read off the frames: one pressed, the player is there.
    line = page.locator(".video-text button").filter(has_text="星系之间相距遥远")
    assert "0:02–0:04" in await line.inner_text()
    t_start = float(await line.get_attribute("data-seek") or "nan")
    assert t_start == pytest.approx(2.0, abs=1.0)
    await line.click()
    moved = await page.evaluate("() => document.querySelector('video').currentTime")
    assert moved == pytest.approx(t_start, abs=0.05)
    assert await audit(page) == []
    await shot(page, "review-video")
