"""The review page of a video over HTTP: the text read off its frames listed beside the player,
each line a button to its moment, findings in that text with theirs, the subtitles as a track —
and a notice above the player when the frames could not be read."""

from __future__ import annotations

import re

from content.models import TextReading
from infra.services import Services
from tests.console.harness import Console, queries
from tests.console.reviewing import video_task
from tests.factories import person

SEGMENTS = [
    {"t_start": 0.0, "t_end": 2.0, "text": "科学家发现了新的星系", "box": [0.3, 0.8, 0.7, 0.9]},
    {"t_start": 62.0, "t_end": 64.5, "text": "这个茶喝了百分之百有效", "box": [0.3, 0.8, 0.7, 0.9]},
]
UNREAD_NOTICE = '<p class="message warning" role="note">画面文字未能读取，请完整观看视频</p>'


async def _open(console: Console, services: Services, **media: object) -> str:
    creator = await person(services, "creator")
    political = await person(services, "political_reviewer")
    _, task_id = await video_task(services, creator, "星空里的茶", **media)
    await console.login(political)
    return task_id


async def test_the_text_on_the_frames_is_listed_beside_the_player_with_its_moments(
    console: Console, services: Services
) -> None:
    task_id = await _open(
        console,
        services,
        text_status=TextReading.read,
        text_segments=SEGMENTS,
        captions_key="captions/clip.vtt",
    )
    with queries(services) as seen:
        page = await console.get(f"/console/review/tasks/{task_id}")
    assert page.status_code == 200, page.text
    # An article's 6, and the media rows (text, links and track from the one query).
    assert len(seen) == 7, "\n".join(seen)
    text = page.text
    assert '<h3 id="h-video-text">画面文字</h3>' in text
    lines = re.findall(
        r'<button type="button" class="seek" data-seek="([\d.]+)">(.*?)</button>', text
    )
    assert ("62.0", '<span class="time">1:02–1:04</span> 这个茶喝了百分之百有效') in lines
    assert ("0.0", '<span class="time">0:00–0:02</span> 科学家发现了新的星系') in lines
    # The health claim on the frames, with a button to its moment.
    assert ("62.0", "跳到 1:02") in lines
    track = re.search(r'<track kind="captions" srclang="zh-CN" label="中文" src="([^"]+)">', text)
    assert track and "captions/clip.vtt" in track.group(1) and "Signature=" in track.group(1)
    assert UNREAD_NOTICE not in text


async def test_frames_that_could_not_be_read_are_a_notice_above_the_player(
    console: Console, services: Services
) -> None:
    task_id = await _open(
        console, services, text_status=TextReading.failed, text_error="the reader was killed"
    )
    page = await console.get(f"/console/review/tasks/{task_id}")
    assert page.status_code == 200, page.text
    assert page.text.index(UNREAD_NOTICE) < page.text.index("<video")
    assert "画面文字</h3>" not in page.text  # nothing read, nothing listed
