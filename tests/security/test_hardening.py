"""The smaller holes of the attack report, shut: NUL in free text, the Markdown source and outside
images kept from the public, what ops endpoints say, response headers, and signatures kept out of
the access log. Invisible titles and NUL in a draft or a review comment are refused by the
services: tests/content/test_drafts.py and test_review_guards.py."""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from content.kit import render
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.helpers import free_port, serving
from tests.media_files import png

# Combining marks with nothing to sit on: acute accents, a strikethrough, Thai tone marks, an
# enclosing circle, variation selectors; each renders as stray dots or nothing.
MARKS_ONLY = "\u0301\u0301\u0336\u0e49\u20dd\ufe0f"


# -- free text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "stored"),
    [
        ("Cafe\u0301 science", "Cafe\u0301 science"),
        ("e\u0301\u0336", "e\u0301\u0336"),
        ("2026", "2026"),
        # Joiners and variation selectors show nothing and are removed before storing.
        ("科普\u200d知识", "科普知识"),
        ("🧪\ufe0f", "🧪"),
    ],
)
async def test_a_title_with_something_visible_keeps_its_marks_and_loses_its_invisibles(
    client: httpx.AsyncClient, services: Services, title: str, stored: str
) -> None:
    creator = await f.person(services, "creator")
    content = await f.create(client, creator, title=title)
    assert content["title"] == stored


async def test_a_display_name_of_combining_marks_only_is_422_and_creates_nobody(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    username = f"staff-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    resp = await client.post(
        "/api/v1/admin/users",
        json={
            "username": username,
            "password": password,
            "display_name": MARKS_ONLY,
            "roles": ["political_reviewer"],
        },
        headers=admin.auth,
    )
    assert f.assert_problem(resp, 422, "invalid")["field"] == "display_name"
    login = await f.login(client, username, password)
    f.assert_problem(login, 401, "auth.invalid_credentials")  # no such account was written


async def test_a_takedown_reason_of_combining_marks_only_is_422_and_the_content_stays_up(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    admin = await f.person(services, "admin")
    content_id = await f.publish(client, crew)
    resp = await client.post(
        f"/api/v1/admin/contents/{content_id}/takedown",
        json={"reason": MARKS_ONLY},
        headers=admin.auth,
    )
    assert f.assert_problem(resp, 422, "invalid")["field"] == "reason"
    shown = await f.get(client, None, content_id)
    assert shown.status_code == 200 and shown.json()["status"] == "published"


async def test_nul_in_display_name_is_422_and_creates_nobody(
    client: httpx.AsyncClient, services: Services
) -> None:
    admin = await f.person(services, "admin")
    username = f"staff-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    resp = await client.post(
        "/api/v1/admin/users",
        json={
            "username": username,
            "password": password,
            "display_name": "张\x00老师",
            "roles": ["political_reviewer"],
        },
        headers=admin.auth,
    )
    assert f.assert_problem(resp, 422, "invalid")["field"] == "display_name"
    login = await f.login(client, username, password)
    f.assert_problem(login, 401, "auth.invalid_credentials")  # no such account was written


# -- what the public reads -------------------------------------------------------------------


async def test_anonymous_viewers_get_sanitised_html_never_the_markdown_source(
    client: httpx.AsyncClient, services: Services
) -> None:
    crew = await f.crew(services)
    markdown = (
        "研究表明，勤洗手有用。\n\n<script>alert(1)</script>\n\n![px](https://evil.example/p.gif)"
    )
    content_id = await f.publish(client, crew, body=markdown)

    public = (await f.get(client, None, content_id)).json()
    viewer = await f.person(services, "viewer")
    signed_in = (await f.get(client, viewer, content_id)).json()
    for shown in (public, signed_in):
        assert shown["body"] is None
        assert "研究表明" in shown["body_html"]
        assert "<script" not in shown["body_html"]
        assert "evil.example" not in shown["body_html"]  # no tracking pixel
    assert (await f.get(client, crew.creator, content_id)).json()["body"] == markdown
    assert (await f.get(client, crew.science, content_id)).json()["body"] == markdown


CDN = "https://cdn.kepu.example/public/"
OURS = "https://cdn.kepu.example/public/0f3a/cover.jpg"
MEDIA_REF = "media:01j9z3k4m5n6p7q8r9s0t1v2w3"
# Ways out of our media, each as Markdown and as raw HTML (which keeps what Markdown would
# percent-encode or refuse to link).
ESCAPES = [
    "https://cdn.kepu.example/public/../private/x.jpg",
    "https://cdn.kepu.example/public/0f3a/../../private/x.jpg",
    "https://cdn.kepu.example/public/%2e%2e/private/x.jpg",
    "https://cdn.kepu.example/public/.%2E/private/x.jpg",
    "https://cdn.kepu.example/public/..%2fprivate/x.jpg",
    "https://cdn.kepu.example/public/..\\private/x.jpg",
    "https://cdn.kepu.example/public/&#46;&#46;/private/x.jpg",
    "https://cdn.kepu.example/public/.&#9;./private/x.jpg",
    "https://cdn.kepu.example/public/./x.jpg",
    "../private/x.jpg",
    "public/x.jpg",
    "/public/x.jpg",
    "//evil.example/p.gif",
    "//cdn.kepu.example/public/x.jpg",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:image/png;base64,iVBORw0KGgo=",
    "data:image/svg+xml,%3Csvg%20onload%3Dalert(1)%3E",
    "media:../../private",
    "media://evil.example/p.gif",
    "https://cdn.kepu.example@evil.example/public/x.jpg",
]


def _srcs(html: str) -> list[str]:
    return re.findall(r'src="([^"]*)"', html)


@pytest.mark.parametrize("src", ESCAPES)
def test_an_image_src_outside_our_media_loads_nothing(src: str) -> None:
    for markdown in (f"![x]({src})", f'<img src="{src}" alt="x">'):
        assert _srcs(render(markdown, [CDN])) == [], markdown


def test_media_references_and_our_cdn_are_the_only_image_sources() -> None:
    shouted = MEDIA_REF.replace("media:", "MEDIA:")
    html = render(f"![a]({OURS}) ![b]({MEDIA_REF}) <img src='{shouted}'>", [CDN])
    assert _srcs(html) == [OURS, MEDIA_REF, MEDIA_REF]
    assert _srcs(render(f"![b]({MEDIA_REF})")) == [MEDIA_REF]  # with no CDN, references only
    # A reference names an image to show, never a page to open.
    assert "href" not in render(f"[open]({MEDIA_REF})", [CDN])


async def test_the_served_body_html_keeps_only_our_images(
    client: httpx.AsyncClient, services: Services, settings: Settings, tmp_path: Path
) -> None:
    crew = await f.crew(services)
    ours = await f.upload(client, crew.creator, png(tmp_path / "figure.png"))
    ref = f"media:{ours}"
    images = [OURS, ref, *ESCAPES]
    body = "研究表明，勤洗手有用。\n\n" + "\n\n".join(
        f'![图{i}]({src}) <img src="{src}" alt="原{i}">' for i, src in enumerate(images)
    )
    content_id = await f.publish(client, crew, body=body)
    # An API process with a CDN configured serves what is stored; no worker needed to read.
    cdn = settings.model_copy(
        update={
            "public_media_base_url": CDN,
            "queue_name": f"kepu-sec-{secrets.token_hex(4)}",
            "run_embedded_worker": False,
        }
    )
    async with serving(create_app(cdn)) as cdn_client:
        for who in (None, crew.creator):
            shown = (await f.get(cdn_client, who, content_id)).json()
            srcs = _srcs(shown["body_html"])
            # Our reference becomes a URL of the display copy (signed: no public copy was made,
            # the worker that publishes them had no CDN), the escapes load nothing.
            assert srcs[:2] == [OURS, OURS] and len(srcs) == 4 and srcs[2] == srcs[3]
            assert f"/media/{ours}/cover.jpg?" in srcs[2] and "X-Amz-Signature" in srcs[2]


def test_images_are_kept_only_from_our_own_media_base() -> None:
    base = "https://cdn.kepu.example/public/"
    html = render(
        "![ours](https://cdn.kepu.example/public/t/cover.jpg)"
        "![lookalike](https://cdn.kepu.example.evil.org/public/p.gif)"
        "![other path](https://cdn.kepu.example/private/x.jpg)"
        '<img src="//evil.example/p.gif"><img src="http://cdn.kepu.example/public/x.jpg">',
        [base],
    )
    assert html.count("src=") == 1
    assert 'src="https://cdn.kepu.example/public/t/cover.jpg"' in html
    assert "src=" not in render("![x](https://cdn.kepu.example/public/a.jpg)")  # no base: none


# -- operations endpoints --------------------------------------------------------------------


@pytest.fixture
async def storage_down(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(
            update={
                "s3_endpoint": f"127.0.0.1:{free_port()}",
                "queue_name": f"kepu-sec-{secrets.token_hex(4)}",
                "run_embedded_worker": False,
            }
        )
    )
    async with serving(app) as client:
        yield client


async def test_readyz_names_the_component_only(storage_down: httpx.AsyncClient) -> None:
    resp = await storage_down.get("/readyz")
    body = f.assert_problem(resp, 503, "dependency.down")
    assert body["down"] == ["storage"]
    text = resp.text
    for leak in ("127.0.0.1", "Error", "Exception", "Traceback", ":/", "/var"):
        assert leak not in text, text


async def test_readyz_skipping_storage_keeps_a_replica_serving_feeds_in_rotation(
    storage_down: httpx.AsyncClient,
) -> None:
    # What deploy/k8s/api.yaml's readiness probe asks: storage down must not take it out.
    resp = await storage_down.get("/readyz", params={"skip": "storage"})
    assert resp.status_code == 200
    assert resp.json()["checks"] == {"database": "ok", "redis": "ok"}
    assert (await storage_down.get("/api/v1/feed")).status_code == 200
    # Only what is named is skipped; a name that is no component is refused, not ignored.
    still = await storage_down.get("/readyz", params={"skip": "redis"})
    assert f.assert_problem(still, 503, "dependency.down")["down"] == ["storage"]
    f.assert_problem(await storage_down.get("/readyz?skip=s3"), 422, "validation_error")


@contextlib.asynccontextmanager
async def _app_with(settings: Settings, **update: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(
            update={
                "queue_name": f"kepu-sec-{secrets.token_hex(4)}",
                "run_embedded_worker": False,
                **update,
            }
        )
    )
    async with serving(app) as client:
        yield client


async def test_metrics_need_the_token_when_one_is_set(settings: Settings) -> None:
    token = secrets.token_urlsafe(24)
    async with _app_with(settings, metrics_token=token) as client:
        f.assert_problem(await client.get("/metrics"), 401, "auth.required")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        f.assert_problem(wrong, 401, "auth.required")
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and "kepu_http_requests_total" in ok.text


async def test_metrics_are_not_served_in_production_without_a_token(settings: Settings) -> None:
    async with _app_with(settings, mode="production") as client:
        f.assert_problem(await client.get("/metrics"), 404, "not_found")
        assert "kepu_http" not in (await client.get("/api/v1/metrics")).text


# -- response headers ------------------------------------------------------------------------


async def test_every_answer_says_nosniff_and_personal_answers_are_not_stored(
    client: httpx.AsyncClient, services: Services
) -> None:
    viewer = await f.person(services, "viewer")
    me = await client.get("/api/v1/me", headers=viewer.auth)
    assert me.headers["x-content-type-options"] == "nosniff"
    assert me.headers["cache-control"] == "private, no-store"
    missing = await client.get("/api/v1/contents/nope")
    assert missing.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in missing.headers["cache-control"]


async def test_no_cors_headers_unless_origins_are_configured(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/topics", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in resp.headers


async def test_configured_origins_get_cors_and_others_do_not(settings: Settings) -> None:
    console = "https://console.kepu.example"
    async with _app_with(settings, cors_origins=f"{console}, https://m.kepu.example") as client:
        ok = await client.get("/api/v1/topics", headers={"Origin": console})
        assert ok.headers["access-control-allow-origin"] == console
        other = await client.get("/api/v1/topics", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = await client.options(
            "/api/v1/contents",
            headers={
                "Origin": console,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == console


# -- logs ------------------------------------------------------------------------------------


def test_access_log_never_carries_a_signature(
    app: object, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("uvicorn.access")
    line = '%s - "%s %s HTTP/%s" %d'
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info(line, "127.0.0.1:5", "PUT", "/api/v1/storage/u/k?exp=9&sig=SECRET1", "1.1", 200)
        access.info(
            line,
            "127.0.0.1:5",
            "GET",
            "/kepu/k?X-Amz-Credential=SECRET2&X-Amz-Signature=SECRET3&partNumber=2",
            "1.1",
            200,
        )
    text = caplog.text
    assert "SECRET" not in text
    assert "/api/v1/storage/u/k" in text and "partNumber=2" in text
