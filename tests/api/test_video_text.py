"""The machine stage reads what a video shows: burned-in text is screened like the body, each
finding with the moment it is on screen; a cover's text alike; frames that could not be read
are a warning for reviewers, never a block."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from content.models import Media, TextReading
from infra.services import Services
from tests import factories as f
from tests.media_files import captioned_image, captioned_video

pytestmark = pytest.mark.usefixtures("reading_text")

CAPTIONS = [
    (0.0, 2.0, "科学家发现了新的星系"),
    (2.0, 4.0, "有人支持台独"),
    (4.0, 6.0, "这个茶喝了百分之百有效"),
]


@pytest.fixture(scope="module")
def captioned(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("video-text") / "captioned.mp4"
    return captioned_video(path, CAPTIONS).read_bytes()


async def _video_content(
    client: httpx.AsyncClient, who: f.Person, data: bytes, **fields: object
) -> tuple[str, str]:
    media_id = await f.upload(client, who, data, "video/mp4", filename="clip.mp4")
    media = await f.settled_media(client, who, media_id, within=120)
    assert media["status"] == "ready", media
    content = await f.create(client, who, type="video", media_id=media_id, body=None, **fields)
    return media_id, str(content["id"])


async def test_a_blocked_term_burned_into_the_frames_rejects_with_its_moment(
    client: httpx.AsyncClient, services: Services, captioned: bytes
) -> None:
    crew = await f.crew(services)
    _, content_id = await _video_content(client, crew.creator, captioned, title="星空漫游")
    await f.submit(client, crew.creator, content_id)
    judged = await f.past_machine_stage(client, crew.creator, content_id)

    assert judged["status"] == "rejected", judged
    [block] = [x for x in judged["findings"] if x["severity"] == "block"]
    assert (block["field"], block["excerpt"]) == ("video_text", "台独")
    assert block["t_start"] == pytest.approx(2.0, abs=1.0)
    assert block["t_end"] == pytest.approx(4.0, abs=1.0)
    claims = [x for x in judged["findings"] if x["check"] == "health_claim"]
    assert claims and all(x["field"] == "video_text" and x["severity"] == "warn" for x in claims)
    assert claims[0]["t_start"] == pytest.approx(4.0, abs=1.0)


async def test_text_on_a_cover_is_screened_as_cover_text(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    crew = await f.crew(services)
    cover = captioned_image(tmp_path / "cover.png", "法轮大法好")
    cover_id = await f.upload(client, crew.creator, cover, "image/png", filename="cover.png")
    detail = await f.screened(client, crew.creator, cover_media_id=cover_id)

    assert detail["status"] == "rejected", detail
    [block] = [x for x in detail["findings"] if x["severity"] == "block"]
    assert block["field"] == "cover_text" and "法轮大法" in block["excerpt"]
    assert block["t_start"] is None  # a still has no moment


async def test_frames_that_could_not_be_read_warn_reviewers_and_block_nothing(
    client: httpx.AsyncClient, services: Services, captioned: bytes
) -> None:
    crew = await f.crew(services)
    media_id, content_id = await _video_content(client, crew.creator, captioned, title="星空漫游")
    # As the worker records a reader that crashed or ran out of time (test_text_reading.py
    # makes that happen for real): the status, and nothing read.
    async with services.write_sessions() as session:
        await session.exec(
            sa.update(Media)
            .where(col(Media.id) == media_id)
            .values(text_status=TextReading.failed, text_segments=[], text_error="killed")
        )
        await session.commit()
    await f.submit(client, crew.creator, content_id)
    task = await f.wait_for_task(client, crew.political, "political", content_id)

    [unread] = [x for x in task["findings"] if x["field"] == "video_text"]
    assert (unread["check"], unread["severity"]) == ("media", "warn")
    assert "未能读取" in unread["message"]
