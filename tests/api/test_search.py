"""GET /search over HTTP: what a mini-program gets (cards with a snippet), that a takedown is
gone from the very next search, and that bad input is a clear 422 naming its field or a
harmless empty page."""

from __future__ import annotations

import httpx

from infra.services import Services
from tests import factories as f

SEARCH = "/api/v1/search"


async def test_a_published_article_is_found_as_a_card_and_leaves_with_its_takedown(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(
        client, crew, title="雾霾天如何保护呼吸道", summary="口罩与空气净化器。",
        body="## 颗粒物\n\nPM2.5 颗粒物能进入肺泡，**雾霾**天应减少户外活动。",
    )  # fmt: skip
    draft = await f.create(client, crew.creator, title="雾霾草稿", body="雾霾的草稿。")

    found = await client.get(SEARCH, params={"q": "雾霾 肺泡"})
    assert found.status_code == 200, found.text
    page = found.json()
    assert [item["id"] for item in page["items"]] == [content_id]
    card = page["items"][0]
    assert card["title"] == "雾霾天如何保护呼吸道" and card["author"]["id"] == crew.creator.id
    assert "stats" in card and "cover_url" in card  # the feed's card, as the feed shows it
    assert "<em>雾霾</em>" in card["snippet"] and "**" not in card["snippet"]
    assert page["next_cursor"] is None
    assert draft["id"] not in {i["id"] for i in page["items"]}

    assert (await f.takedown(client, crew.admin, content_id)).status_code == 200
    after = await client.get(SEARCH, params={"q": "雾霾 肺泡"})
    assert after.status_code == 200 and after.json()["items"] == []  # gone at once


async def test_bad_input_names_its_field_or_finds_nothing(client: httpx.AsyncClient) -> None:
    long = await client.get(SEARCH, params={"q": "科学a" * 3_334})  # 10 002 characters
    assert long.status_code == 422 and long.json()["code"] == "validation_error"
    assert {e["field"] for e in long.json()["errors"]} == {"q"}

    missing = await client.get(SEARCH)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "q"

    topic = await client.get(SEARCH, params={"q": "科学", "topic": "no-such-topic"})
    assert topic.status_code == 422
    assert (topic.json()["code"], topic.json()["field"]) == ("invalid", "topic")

    kind = await client.get(SEARCH, params={"q": "科学", "type": "podcast"})
    assert kind.status_code == 422 and kind.json()["errors"][0]["field"] == "type"

    cursor = await client.get(SEARCH, params={"q": "科学", "cursor": "bm90IGEgY3Vyc29y"})
    assert cursor.status_code == 422
    assert (cursor.json()["code"], cursor.json()["field"]) == ("invalid", "cursor")

    nul_topic = await client.get(SEARCH, params={"q": "科学", "topic": "health\x00"})
    assert nul_topic.status_code == 422 and nul_topic.json()["field"] == "topic"

    for q in ("科\x00学", "\\", "%", "_", "a:*"):
        answer = await client.get(SEARCH, params={"q": q})
        assert answer.status_code == 200, (q, answer.text)

    for q in ("，。！？", '"', "' OR 1=1 --", "NEAR(a b)", "*", "科学 OR", '"unbalanced', "--"):
        answer = await client.get(SEARCH, params={"q": q})
        assert answer.status_code == 200, (q, answer.text)
        assert isinstance(answer.json()["items"], list)
