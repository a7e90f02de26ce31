"""WeChat's second opinion in the machine stage, through the API against the local WeChat stub:
its verdict becomes a finding on the revision, and a WeChat that fails holds nothing up."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest

from content.screening.second_opinion import UNAVAILABLE_MESSAGE
from infra.services import Services
from tests import factories as f
from tests.media_files import captioned_image


@pytest.fixture
def seccheck_on(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    # The embedded worker shares these settings; its second opinion reads the switch per call.
    monkeypatch.setattr(services.settings, "wechat_seccheck", True)


async def _wechat_creator(client: httpx.AsyncClient) -> f.Person:
    resp = await client.post("/api/v1/auth/wechat", json={"code": f"ok-{secrets.token_hex(6)}"})
    assert resp.status_code == 200, resp.text
    data = resp.json()
    return f.Person(data["user"]["id"], data["user"]["username"], data["access_token"])


@pytest.mark.usefixtures("seccheck_on")
async def test_a_text_wechat_flags_carries_its_verdict_as_a_finding(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await _wechat_creator(client)
    body = "## 导语\n\n正文里有一个RISKY坏词，其余都是科普。"
    content_id = await f.submitted(client, creator, body=body)
    judged = await f.past_machine_stage(client, creator, content_id)
    [verdict] = [x for x in judged["findings"] if x["check"] == "wechat"]
    assert (verdict["severity"], verdict["field"], verdict["excerpt"]) == ("warn", "body", "坏词")
    assert body[verdict["start"] : verdict["end"]] == "坏词" and "时政" in verdict["message"]
    assert isinstance(verdict["dictionary_version"], int)
    # A warning is for the reviewers to weigh: the article goes on to them.
    assert judged["review_stage"] == "political"


@pytest.mark.usefixtures("seccheck_on", "reading_text")
async def test_wechat_reads_the_text_on_the_cover_too(
    client: httpx.AsyncClient, services: Services, tmp_path: Path
) -> None:
    creator = await _wechat_creator(client)
    cover = captioned_image(tmp_path / "cover.png", "RISKY坏词", 640, 360)
    cover_id = await f.upload(client, creator, cover, "image/png", filename="cover.png")
    judged = await f.screened(client, creator, cover_media_id=cover_id)
    [verdict] = [x for x in judged["findings"] if x["check"] == "wechat"]
    assert (verdict["field"], verdict["excerpt"]) == ("media_text", "坏词")


@pytest.mark.usefixtures("seccheck_on")
async def test_with_wechat_failing_the_article_still_reaches_the_political_queue(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await _wechat_creator(client)
    political = await f.person(services, "political_reviewer")
    content_id = await f.submitted(
        client, creator, body="这段正文让WeChat的检查CRASH，再加RISKY坏词。"
    )
    task = await f.wait_for_task(client, political, "political", content_id)
    wechat = [x for x in task["findings"] if x["check"] == "wechat"]
    assert [(x["severity"], x["message"]) for x in wechat] == [("info", UNAVAILABLE_MESSAGE)]
    judged = await f.past_machine_stage(client, creator, content_id)
    assert judged["status"] == "in_review" and judged["findings"] == task["findings"]


async def test_without_the_switch_wechat_is_not_asked(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await _wechat_creator(client)
    content_id = await f.submitted(client, creator, body="正文里有一个RISKY坏词。")
    judged = await f.past_machine_stage(client, creator, content_id)
    assert judged["review_stage"] == "political"
    assert [x for x in judged["findings"] if x["check"] == "wechat"] == []
