"""Where the text read off a video goes: to its owner and its reviewers (beside the player),
never to viewers; and into search, so a published video is found by words only burned into
its frames — but not before it is published."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from infra.services import Services
from tests import factories as f
from tests.media_files import captioned_video

SEARCH = "/api/v1/search"
# Neither word is in the contents' title or summary: only the frames say them.
CAPTIONS = [(0.0, 2.0, "北极熊在冰面上捕猎"), (2.0, 4.0, "海豹是它最爱的食物")]
FIELDS = {"type": "video", "body": None, "title": "极地动物", "summary": "冰原上的生活"}


@pytest.fixture(scope="module")
async def clip(
    app: FastAPI,
    services: Services,
    reading_text: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[f.Crew, str]:
    """A captioned clip of a crew's creator, processed by the worker: (crew, media id)."""
    client: httpx.AsyncClient = app.state.test_client
    crew = await f.crew(services)
    path = captioned_video(tmp_path_factory.mktemp("reach") / "clip.mp4", CAPTIONS, 640, 360, 4)
    media_id = await f.upload(client, crew.creator, path.read_bytes(), "video/mp4", "clip.mp4")
    media = await f.settled_media(client, crew.creator, media_id, within=120)
    assert media["status"] == "ready", media
    return crew, media_id


def _caption(text: dict[str, Any], words: str) -> dict[str, Any]:
    """The segment of ``text`` reading ``words`` (the clip's test pattern shows a timecode too)."""
    [found] = [s for s in text["segments"] if "".join(s["text"].split()) == words]
    return found


async def _found(client: httpx.AsyncClient, word: str) -> set[str]:
    resp = await client.get(SEARCH, params={"q": word})
    assert resp.status_code == 200, resp.text
    return {item["id"] for item in resp.json()["items"]}


async def test_owner_and_reviewers_get_the_text_read_off_a_video_viewers_do_not(
    client: httpx.AsyncClient, clip: tuple[f.Crew, str]
) -> None:
    crew, media_id = clip
    own = (await client.get(f"/api/v1/media/{media_id}", headers=crew.creator.auth)).json()
    assert own["text"]["status"] == "read" and own["text"]["error"] is None
    assert _caption(own["text"], "北极熊在冰面上捕猎")["t_start"] == pytest.approx(0, abs=1.0)
    seal = _caption(own["text"], "海豹是它最爱的食物")
    assert seal["t_start"] == pytest.approx(2.0, abs=1.0)
    assert seal["t_end"] == pytest.approx(4.0, abs=1.0)
    assert len(seal["box"]) == 4 and all(0 <= x <= 1 for x in seal["box"])

    content = await f.create(client, crew.creator, media_id=media_id, **FIELDS)
    await f.submit(client, crew.creator, content["id"])
    task = await f.wait_for_task(client, crew.political, "political", content["id"])
    shown = task["content"]
    assert shown["text"] == own["text"]  # beside the player, as the owner sees it
    assert shown["captions"] == [] and shown["cover_text"] is None

    assert (await f.approve(client, crew.political, task["id"])).status_code == 200
    science = await f.wait_for_task(client, crew.science, "science", content["id"])
    assert (await f.approve(client, crew.science, science["id"])).status_code == 200
    public = await client.get(f"/api/v1/media/{media_id}")
    assert public.status_code == 200 and public.json()["text"] is None
    detail = (await f.get(client, None, content["id"])).json()
    assert "海豹" not in str(detail)  # nor in the public detail, in any field


async def test_search_finds_a_published_video_by_a_word_only_on_its_frames(
    client: httpx.AsyncClient, clip: tuple[f.Crew, str]
) -> None:
    crew, media_id = clip
    content = await f.create(client, crew.creator, media_id=media_id, **FIELDS)
    await f.submit(client, crew.creator, content["id"])
    task = await f.wait_for_task(client, crew.political, "political", content["id"])
    assert content["id"] not in await _found(client, "海豹")  # in review: not searchable

    assert (await f.approve(client, crew.political, task["id"])).status_code == 200
    science = await f.wait_for_task(client, crew.science, "science", content["id"])
    assert (await f.approve(client, crew.science, science["id"])).status_code == 200
    assert content["id"] in await _found(client, "海豹")
    assert content["id"] in await _found(client, "北极熊 捕猎")
