"""Bad input gets problem details that name what is wrong — never a 500 and never a half-written
row — and script in a Markdown body never reaches the rendered HTML. The draft rules the service
checks (topics, lengths, references…) are tried in tests/content/test_drafts.py."""

from __future__ import annotations

import base64
import json
import secrets
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from infra.services import Services
from tests import factories as f


async def _rejected_create(
    client: httpx.AsyncClient, services: Services, payload: dict[str, Any], code: str = "invalid"
) -> dict[str, Any]:
    """POST ``payload`` as a fresh creator; it must be a 422 with ``code`` (``invalid``: a rule of
    ours; ``validation_error``: the request's shape) that leaves nothing behind."""
    creator = await f.person(services, "creator")
    resp = await client.post("/api/v1/contents", json=payload, headers=creator.auth)
    body = f.assert_problem(resp, 422, code)
    assert await f.my_content_ids(client, creator) == []
    return body


# -- creating content with bad fields --------------------------------------------------------


async def test_far_oversized_body_is_422_not_500(
    client: httpx.AsyncClient, services: Services
) -> None:
    payload = f.article(body="a" * 1_000_000)
    body = await _rejected_create(client, services, payload, "validation_error")
    assert body["field"] == "body"


async def test_unknown_type_is_422_naming_type(
    client: httpx.AsyncClient, services: Services
) -> None:
    body = await _rejected_create(client, services, f.article(type="podcast"), "validation_error")
    assert body["field"] == "type"


async def test_unknown_extra_field_is_422(client: httpx.AsyncClient, services: Services) -> None:
    body = await _rejected_create(
        client, services, f.article(status="published"), "validation_error"
    )
    assert body["field"] == "status"


async def test_wrong_json_types_are_422_not_500(
    client: httpx.AsyncClient, services: Services
) -> None:
    payload = f.article(topics="health", references={})
    body = await _rejected_create(client, services, payload, "validation_error")
    assert {e["field"] for e in body["errors"]} >= {"topics", "references"}


async def test_malformed_json_is_422(client: httpx.AsyncClient, services: Services) -> None:
    creator = await f.person(services, "creator")
    resp = await client.post(
        "/api/v1/contents",
        content=b'{"type": "article", "title": ',
        headers={**creator.auth, "Content-Type": "application/json"},
    )
    body = f.assert_problem(resp, 422, "validation_error")
    assert body["field"] == "body"
    assert await f.my_content_ids(client, creator) == []


async def test_json_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    resp = await client.post("/api/v1/contents", json=["article"], headers=creator.auth)
    f.assert_problem(resp, 422, "validation_error")
    assert await f.my_content_ids(client, creator) == []


async def test_chinese_in_an_error_detail_is_returned_as_is(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    resp = await client.post(
        "/api/v1/contents", json=f.article(topics=["双碳"]), headers=creator.auth
    )
    body = f.assert_problem(resp, 422, "invalid")
    assert body["detail"] == "输入不符合要求（字段：topics）"
    assert "字段".encode() in resp.content
    assert b"\\u" not in resp.content
    resp = await client.post(
        "/api/v1/contents", json=f.article(topics=["双碳"]), headers=creator.in_english
    )
    assert "双碳" in f.assert_problem(resp, 422, "invalid")["detail"]  # the specific message
    assert "双碳".encode() in resp.content and b"\\u" not in resp.content


async def test_nul_character_in_a_login_is_not_a_500(client: httpx.AsyncClient) -> None:
    resp = await f.login(client, "admin\x00", "whatever1")
    f.assert_problem(resp, 422, "invalid_text")


async def test_nul_character_in_a_content_id_is_not_a_500(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/contents/abc%00def")
    f.assert_problem(resp, 422, "invalid_text")


async def test_schema_errors_name_list_items_like_domain_errors(
    client: httpx.AsyncClient, services: Services
) -> None:
    refs = [{"title": "指南", "url": "https://example.org/"}, {"url": "https://example.org/"}]
    body = await _rejected_create(client, services, f.article(references=refs), "validation_error")
    assert body["field"] == "references[1].title"


# -- script in Markdown ----------------------------------------------------------------------


_RUNNABLE_TAGS = frozenset({"script", "iframe", "object", "embed", "svg", "math", "style", "base"})
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "srcdoc"})
_SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Executable(HTMLParser):
    """Collects whatever in a piece of HTML a browser would run or load as a document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _RUNNABLE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            # Browsers ignore whitespace and control characters inside a scheme.
            url = "".join(c for c in (value or "") if ord(c) > 32).lower()
            has_scheme = ":" in url.split("/", 1)[0]
            if name in _URL_ATTRS and has_scheme and not url.startswith(_SAFE_SCHEMES):
                self.found.append(f"{tag}[{name}={value}]")


def _executable(html: str) -> list[str]:
    parser = _Executable()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "[x](JaVaScRiPt:alert(1))",
        "[x](<javascript:alert(1)>)",
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        '<iframe src="javascript:alert(1)"></iframe>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    ],
)
async def test_script_in_markdown_is_kept_raw_but_never_rendered(
    client: httpx.AsyncClient, services: Services, attack: str
) -> None:
    creator = await f.person(services, "creator")
    markdown = f"## 正文\n\n{attack}\n\n研究表明，勤洗手有用。"
    created = await f.create(client, creator, body=markdown)
    assert created["body"] == markdown
    for shown in (created, (await f.get(client, creator, created["id"])).json()):
        html = shown["body_html"]
        assert "研究表明" in html
        assert "<script" not in html.lower() and "onerror=" not in html.lower()
        # Markdown leaves a link it refuses as inert text, so "javascript:" may appear as
        # words; what must never appear is anything a browser would run.
        assert _executable(html) == [], html


async def test_harmless_markdown_formatting_survives(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    markdown = "**重点**\n\n[指南](https://example.org/guide)\n\n- 勤洗手"
    created = await f.create(client, creator, body=markdown)
    html = created["body_html"]
    assert "<strong>重点</strong>" in html
    assert 'href="https://example.org/guide"' in html
    assert "<li>勤洗手</li>" in html


# -- wrong workflow state --------------------------------------------------------------------


async def test_submitting_twice_is_409_invalid_state(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    content = await f.create(client, creator)
    assert (await f.submit(client, creator, content["id"])).status_code == 202
    again = await f.submit(client, creator, content["id"])
    f.assert_problem(again, 409, "workflow.invalid_state")


async def test_editing_while_in_review_is_409(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    content = await f.create(client, creator)
    submitted = await f.submit(client, creator, content["id"])
    assert submitted.status_code == 202
    resp = await client.patch(
        f"/api/v1/contents/{content['id']}", json={"title": "偷偷改标题"}, headers=creator.auth
    )
    f.assert_problem(resp, 409, "content.not_editable")
    after = (await f.get(client, creator, content["id"])).json()
    assert after["title"] == content["title"]


async def test_withdrawing_withdrawn_content_is_409_invalid_state(
    client: httpx.AsyncClient, services: Services
) -> None:
    creator = await f.person(services, "creator")
    content = await f.create(client, creator)
    url = f"/api/v1/contents/{content['id']}/withdraw"
    first = await client.post(url, headers=creator.auth)
    assert first.status_code == 200 and first.json()["status"] == "withdrawn", first.text
    f.assert_problem(await client.post(url, headers=creator.auth), 409, "workflow.invalid_state")


# -- who may create --------------------------------------------------------------------------


async def test_viewer_without_creator_role_cannot_create_content(
    client: httpx.AsyncClient, services: Services
) -> None:
    viewer = await f.person(services, "viewer")
    resp = await client.post("/api/v1/contents", json=f.article(), headers=viewer.auth)
    f.assert_problem(resp, 403)


async def test_anonymous_create_is_401(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/v1/contents", json=f.article())
    f.assert_problem(resp, 401)
    assert resp.headers["www-authenticate"] == "Bearer"


# -- the feed's parameters -------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "51", "-1", "ten"])
async def test_feed_limit_out_of_range_is_422(client: httpx.AsyncClient, limit: str) -> None:
    resp = await client.get("/api/v1/feed", params={"limit": limit})
    body = f.assert_problem(resp, 422, "validation_error")
    assert body["field"] == "limit"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "%%%%",
        _b64(b"\xff\xfe"),
        _b64(b"5"),
        _b64(json.dumps([1, 2]).encode()),
        _b64(json.dumps(["yesterday", "x"]).encode()),
        _b64(json.dumps(["2025-01-01T00:00:00", "x"]).encode()),  # no time zone
    ],
)
async def test_feed_garbage_cursor_is_422_naming_cursor(
    client: httpx.AsyncClient, cursor: str
) -> None:
    resp = await client.get("/api/v1/feed", params={"cursor": cursor})
    body = f.assert_problem(resp, 422, "feed.bad_cursor")
    assert body["field"] == "cursor"


async def test_feed_empty_cursor_is_the_first_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    first = await client.get("/api/v1/feed", params={"limit": 5})
    empty = await client.get("/api/v1/feed", params={"cursor": "", "limit": 5})
    assert empty.status_code == 200, empty.text
    assert empty.json() == first.json()


async def test_feed_unknown_topic_is_422(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/feed", params={"topic": "astrology"})
    body = f.assert_problem(resp, 422, "invalid")
    assert body["field"] == "topics"


# -- not found -------------------------------------------------------------------------------


async def test_nonexistent_content_is_404(client: httpx.AsyncClient) -> None:
    resp = await client.get(f"/api/v1/contents/{secrets.token_hex(8)}")
    f.assert_problem(resp, 404, "content.not_found")
