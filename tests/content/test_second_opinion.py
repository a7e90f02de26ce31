"""WeChat's content-security check as a second opinion, against the local WeChat stub: its
verdicts become findings, a stale token is renewed, and screening goes on without it."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from redis.asyncio import Redis

from content.screening import Finding
from content.screening.second_opinion import UNAVAILABLE_MESSAGE, SecondOpinion
from infra.services import Services
from infra.settings import Settings
from infra.wechat import SharedToken


@pytest.fixture
def token(services: Services) -> SharedToken:
    """The shared access token, under a key of this test's own."""
    return SharedToken(services.redis, f"{services.settings.redis_prefix}:{secrets.token_hex(4)}")


def _opinion(
    settings: Settings, http: httpx.AsyncClient, token: SharedToken, on: bool = True
) -> SecondOpinion:
    return SecondOpinion(http, settings.model_copy(update={"wechat_seccheck": on}), token)


async def test_a_risky_verdict_becomes_a_warning_at_the_word_wechat_matched(
    settings: Settings, token: SharedToken
) -> None:
    async with httpx.AsyncClient() as http:
        opinion = _opinion(settings, http, token)
        body = "前面的正文。RISKY坏词 后面的正文"
        [finding] = await opinion.findings({"title": "标题", "body": body}, "o-1", version=3)
    assert (finding.check, finding.severity, finding.field) == ("wechat", "warn", "body")
    assert body[finding.start : finding.end] == finding.excerpt == "坏词"
    assert "时政" in finding.message and finding.dictionary_version == 3


async def test_a_review_verdict_is_a_hint_and_a_pass_is_nothing(
    settings: Settings, token: SharedToken
) -> None:
    async with httpx.AsyncClient() as http:
        opinion = _opinion(settings, http, token)
        [hint] = await opinion.findings({"body": "这段需要REVIEW一下"}, "o-1")
        assert (hint.severity, hint.start, hint.end) == ("info", 0, 0)
        assert await opinion.findings({"body": "普通的科普文章"}, "o-1") == []


async def test_a_stale_access_token_is_renewed_once_for_every_process(
    settings: Settings, token: SharedToken
) -> None:
    redis: Redis = token.redis
    await redis.set(token.key, "token-from-yesterday")
    async with httpx.AsyncClient() as http:
        [finding] = await _opinion(settings, http, token).findings({"body": "RISKY词"}, "o-1")
    renewed = await redis.get(token.key)
    renewed = renewed.decode() if isinstance(renewed, bytes) else renewed
    assert finding.excerpt == "词" and renewed and renewed != "token-from-yesterday"


async def test_nothing_is_asked_when_wechat_is_off_or_the_author_has_no_openid(
    settings: Settings, token: SharedToken
) -> None:
    async with httpx.AsyncClient() as http:
        assert (
            await _opinion(settings, http, token, on=False).findings({"body": "RISKY词"}, "o-1")
            == []
        )
        assert await _opinion(settings, http, token).findings({"body": "RISKY词"}, None) == []


def _says_unavailable(finding: Finding, field: str) -> bool:
    return (finding.check, finding.severity, finding.field, finding.start, finding.end) == (
        "wechat",
        "info",
        field,
        0,
        0,
    ) and finding.message == UNAVAILABLE_MESSAGE


async def test_when_wechat_is_down_screening_goes_on_with_a_hint_that_it_was_not_asked(
    settings: Settings, token: SharedToken
) -> None:
    async with httpx.AsyncClient() as http:
        fields = {"title": "RISKY坏词", "body": "CRASH RISKY词"}
        title, gone = await _opinion(settings, http, token).findings(fields, "o-1", version=2)
        assert (title.field, title.severity, title.excerpt) == ("title", "warn", "坏词")
        assert _says_unavailable(gone, "body") and gone.dictionary_version == 2
        down = settings.model_copy(
            update={"wechat_seccheck": True, "wechat_base_url": "http://127.0.0.1:9"}
        )
        [gone] = await SecondOpinion(http, down, token).findings({"body": "RISKY词"}, "o-1")
        assert _says_unavailable(gone, "body")


async def test_a_slow_wechat_is_given_up_on_within_its_budget(
    settings: Settings, token: SharedToken
) -> None:
    # Each part answers within the call timeout, but twenty of them take longer than the budget.
    slow = settings.model_copy(update={"wechat_seccheck": True, "wechat_timeout_s": 0.25})
    body = ("SLOW" + "正文" * 1248) * 20
    async with httpx.AsyncClient() as http:
        opinion = SecondOpinion(http, slow, token)
        started = time.monotonic()
        [gone] = await opinion.findings({"body": body}, "o-1")
        took = time.monotonic() - started
    assert _says_unavailable(gone, "body")
    assert opinion.budget_s <= took < opinion.budget_s + 0.5
