"""Problems speak Chinese to people by default and English when asked; the code never changes."""

from __future__ import annotations

import httpx
import pytest

from api.problems import prefers_english
from infra.services import Services
from tests import factories as f

MISSING = "/api/v1/contents/01aaaaaaaaaaaaaaaaaaaaaaaa"


@pytest.mark.parametrize(
    ("header", "english"),
    [
        ("", False),
        ("en", True),
        ("en-US,en;q=0.9", True),
        ("en-US,en;q=0.9,zh-CN;q=0.8", True),
        ("zh-CN,zh;q=0.9,en;q=0.8", False),
        ("fr-FR,en;q=0.5", True),
        ("fr-FR", False),
        ("*", False),
        ("en;q=0", False),
        ("en;q=garbage", False),
        ("zh-Hans-CN", False),
    ],
)
def test_english_only_when_the_caller_ranks_it_above_chinese(header: str, english: bool) -> None:
    assert prefers_english(header) is english


async def test_a_problem_is_chinese_by_default_and_english_when_asked(
    client: httpx.AsyncClient,
) -> None:
    chinese = f.assert_problem(await client.get(MISSING), 404, "content.not_found")
    assert (chinese["title"], chinese["detail"]) == ("未找到", "找不到该内容")
    resp = await client.get(MISSING, headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    english = f.assert_problem(resp, 404, "content.not_found")
    assert (english["title"], english["detail"]) == ("Not found", "no such content")
    assert "accept-language" in resp.headers["vary"].lower()  # caches keep the two apart
    asked_chinese = await client.get(MISSING, headers={"Accept-Language": "zh-CN,en;q=0.8"})
    assert f.assert_problem(asked_chinese, 404, "content.not_found")["detail"] == "找不到该内容"


async def test_a_validation_error_names_the_fields_in_chinese(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    bad = f.article(topics="health")  # not a list
    del bad["title"]
    resp = await client.post("/api/v1/contents", json=bad, headers=creator.auth)
    body = f.assert_problem(resp, 422, "validation_error")
    assert body["title"] == "输入有误"
    assert body["detail"] == "以下字段输入有误：title, topics"
    assert body["field"] == "title"
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages == {"title": "必填", "topics": "应为数组"}
    resp = await client.post("/api/v1/contents", json=bad, headers=creator.in_english)
    body = f.assert_problem(resp, 422, "validation_error")
    assert body["detail"] == "invalid input in: title, topics"
    assert {e["field"] for e in body["errors"]} == {"title", "topics"}
    assert all(e["message"].isascii() for e in body["errors"])
    assert await f.my_content_ids(client, creator) == []  # nothing was written


async def test_a_domain_rule_names_its_field_in_chinese_and_says_more_in_english(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    bad = f.article(audiences=["martians"])
    body = f.assert_problem(
        await client.post("/api/v1/contents", json=bad, headers=creator.auth), 422, "invalid"
    )
    assert body["detail"] == "输入不符合要求（字段：audiences）"
    assert body["errors"] == [{"field": "audiences", "message": body["detail"]}]
    resp = await client.post("/api/v1/contents", json=bad, headers=creator.in_english)
    english = f.assert_problem(resp, 422, "invalid")
    assert "martians" in english["detail"] and english["field"] == "audiences"


async def test_the_middlewares_own_problems_follow_the_language_too(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    huge = {"title": "x" * (services.settings.max_request_bytes + 1)}
    resp = await client.post("/api/v1/contents", json=huge, headers=creator.auth)
    assert f.assert_problem(resp, 413, "request.too_large")["title"] == "内容过大"
    resp = await client.post("/api/v1/contents", json=huge, headers=creator.in_english)
    assert "limited to" in f.assert_problem(resp, 413, "request.too_large")["detail"]
