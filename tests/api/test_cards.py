"""What a card gives a UI to lay out with (cover size, a video's orientation, length and preview
clip), and signed media URLs that stay the same within a window, so a page rebuilt a minute later
has the same ETag (304) and the mini-program's image cache hits."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from fastapi import FastAPI

from api.feedcache import FeedRuntime
from infra.services import Services
from infra.storage import windows
from tests import factories as f
from tests.media_files import phone_portrait, png

FEED = "/api/v1/feed"


async def _ready(client: httpx.AsyncClient, who: f.Person, media_id: str) -> dict[str, Any]:
    media = await f.settled_media(client, who, media_id, within=90)  # a transcode takes a while
    assert media["status"] == "ready", media
    return media


def _pixels(image: bytes) -> tuple[int, int]:
    """The width and height of an image as served (decoded, not taken on trust)."""
    with av.open(io.BytesIO(image)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.width, stream.codec_context.height


async def _card(client: httpx.AsyncClient, topic: str, content_id: str) -> httpx.Response:
    resp = await client.get(FEED, params={"topic": topic, "limit": 50})
    assert resp.status_code == 200, resp.text
    assert content_id in [c["id"] for c in resp.json()["items"]]
    return resp


@pytest.fixture(scope="module")
async def portrait_video(
    app: FastAPI, services: Services, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, dict[str, Any]]:
    """A published video shot on an upright phone, filed under emergency; (id, its media)."""
    client: httpx.AsyncClient = app.state.test_client
    crew = await f.crew(services)
    data = phone_portrait(tmp_path_factory.mktemp("v") / "phone.mov", 320, 180).read_bytes()
    media_id = await f.upload(client, crew.creator, data, "video/mp4", filename="phone.mov")
    media = await _ready(client, crew.creator, media_id)
    content_id = await f.publish(
        client, crew, type="video", media_id=media_id, body=None, topics=["emergency"]
    )
    return content_id, media


async def test_a_video_card_says_how_to_lay_it_out_and_what_to_autoplay(
    client: httpx.AsyncClient, portrait_video: tuple[str, dict[str, Any]]
) -> None:
    content_id, media = portrait_video
    page = (await _card(client, "emergency", content_id)).json()
    card = next(c for c in page["items"] if c["id"] == content_id)
    assert card["orientation"] == "portrait"
    assert card["duration_s"] == pytest.approx(1, abs=0.2)
    top = max(media["renditions"], key=lambda r: r["width"])
    assert (card["cover_width"], card["cover_height"]) == (top["width"], top["height"])
    assert card["cover_height"] > card["cover_width"]
    async with httpx.AsyncClient() as phone:
        clip = await phone.get(card["preview_url"])
        assert clip.status_code == 200 and clip.content[4:8] == b"ftyp"
        cover = await phone.get(card["cover_url"])
        assert cover.status_code == 200 and cover.content[:3] == b"\xff\xd8\xff"
    assert _pixels(cover.content) == (card["cover_width"], card["cover_height"])
    # The detail carries the same card fields.
    detail = (await f.get(client, None, content_id)).json()
    for name in ("orientation", "duration_s", "cover_width", "cover_height", "preview_url"):
        assert detail[name] == card[name], name


async def test_an_article_card_has_its_cover_size_and_no_video_fields(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    crew = await f.crew(services)
    wide = png(tmp_path / "wide.png", 2000, 1000)
    cover_id = await f.upload(client, crew.creator, wide)
    await _ready(client, crew.creator, cover_id)
    content_id = await f.publish(client, crew, cover_media_id=cover_id, topics=["frontier-tech"])
    page = (await _card(client, "frontier-tech", content_id)).json()
    card = next(c for c in page["items"] if c["id"] == content_id)
    assert card["orientation"] is None and card["preview_url"] is None
    assert card["duration_s"] is None
    async with httpx.AsyncClient() as phone:
        cover = await phone.get(card["cover_url"])
    assert cover.status_code == 200
    # The display copy's size, smaller than the 2000×1000 original, proportions kept.
    assert _pixels(cover.content) == (card["cover_width"], card["cover_height"])
    assert card["cover_width"] < 2000 and card["cover_width"] == 2 * card["cover_height"]


async def test_a_video_page_rebuilt_a_minute_later_is_a_304(
    client: httpx.AsyncClient,
    app: FastAPI,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    portrait_video: tuple[str, dict[str, Any]],
) -> None:
    content_id, _ = portrait_video
    runtime: FeedRuntime = app.state.feeds
    window = services.settings.download_url_window_seconds
    assert window >= 120
    start = windows.now() // window * window  # this window, so the URLs signed stay valid

    monkeypatch.setattr(windows, "now", lambda: start + 5)
    runtime.cache.clear()
    first = await _card(client, "emergency", content_id)
    etag = first.headers["etag"]

    monkeypatch.setattr(windows, "now", lambda: start + 65)  # a minute on: rebuilt, same bytes
    runtime.cache.clear()
    again = await client.get(
        FEED, params={"topic": "emergency", "limit": 50}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304, again.text
    assert again.headers["etag"] == etag

    monkeypatch.setattr(windows, "now", lambda: start + window + 5)  # the next window
    runtime.cache.clear()
    later = await _card(client, "emergency", content_id)
    assert later.headers["etag"] != etag
