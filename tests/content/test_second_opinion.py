"""WeChat's content-security check as a second opinion, against the local WeChat stub: its
verdicts become findings, a stale token is renewed, and screening goes on without it."""

from __future__ import annotations

import httpx

from content.second_opinion import SecondOpinion
from infra.settings import Settings
from infra.wechat import AccessToken


def _opinion(settings: Settings, http: httpx.AsyncClient, on: bool = True) -> SecondOpinion:
    return SecondOpinion(http, settings.model_copy(update={"wechat_seccheck": on}))


async def test_a_risky_verdict_becomes_a_warning_at_the_word_wechat_matched(
    settings: Settings,
) -> None:
    async with httpx.AsyncClient() as http:
        opinion = _opinion(settings, http)
        body = "前面的正文。RISKY坏词 后面的正文"
        [finding] = await opinion.findings({"title": "标题", "body": body}, "o-1", version=3)
    assert (finding.check, finding.severity, finding.field) == ("wechat", "warn", "body")
    assert body[finding.start : finding.end] == finding.excerpt == "坏词"
    assert "时政" in finding.message and finding.dictionary_version == 3


async def test_a_review_verdict_is_a_hint_and_a_pass_is_nothing(settings: Settings) -> None:
    async with httpx.AsyncClient() as http:
        opinion = _opinion(settings, http)
        [hint] = await opinion.findings({"body": "这段需要REVIEW一下"}, "o-1")
        assert (hint.severity, hint.start, hint.end) == ("info", 0, 0)
        assert await opinion.findings({"body": "普通的科普文章"}, "o-1") == []


async def test_a_stale_access_token_is_renewed_once(settings: Settings) -> None:
    async with httpx.AsyncClient() as http:
        opinion = _opinion(settings, http)
        opinion.token = AccessToken("token-from-yesterday", expires_at=float("inf"))
        [finding] = await opinion.findings({"body": "RISKY词"}, "o-1")
    assert finding.excerpt == "词" and opinion.token.value != "token-from-yesterday"


async def test_screening_goes_on_when_wechat_is_off_down_or_the_author_has_no_openid(
    settings: Settings,
) -> None:
    async with httpx.AsyncClient() as http:
        assert await _opinion(settings, http, on=False).findings({"body": "RISKY词"}, "o-1") == []
        assert await _opinion(settings, http).findings({"body": "RISKY词"}, None) == []
        assert await _opinion(settings, http).findings({"body": "CRASH RISKY词"}, "o-1") == []
        down = settings.model_copy(
            update={"wechat_seccheck": True, "wechat_base_url": "http://127.0.0.1:9"}
        )
        assert await SecondOpinion(http, down).findings({"body": "RISKY词"}, "o-1") == []
