"""The local-disk storage route of the embedded default, driven over HTTP as a phone would: a
signed PUT takes no more than the declared bytes and only the declared type, is dead once its
upload is complete, and every refusal (bad Range included) is problem details with a code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col

from api.app import create_app
from content.models import Upload
from infra.clock import utcnow
from infra.services import Services
from infra.storage.local import LocalStorage
from tests import factories as f
from tests.helpers import embedded_settings, serving
from tests.media_files import png
from workers.app import sweep_once

Embedded = tuple[httpx.AsyncClient, Services]


@pytest.fixture(scope="module")
async def embedded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Embedded]:
    app = create_app(embedded_settings(tmp_path_factory.mktemp("local-storage")))
    async with serving(app) as client:
        yield client, app.state.services


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return png(tmp_path_factory.mktemp("png") / "cover.png", 320, 200)


def _local(services: Services) -> LocalStorage:
    assert isinstance(services.storage, LocalStorage)
    return services.storage


def _route(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def _plan(client: httpx.AsyncClient, who: f.Person, size: int) -> dict[str, Any]:
    resp = await f.start_upload(client, who, size)
    assert resp.status_code == 201, resp.text
    plan: dict[str, Any] = resp.json()
    return plan


async def _completed(client: httpx.AsyncClient, who: f.Person, image: bytes) -> dict[str, Any]:
    """An upload sent and completed; its plan, with the ``media_id`` it became."""
    plan = await _plan(client, who, len(image))
    put = await f.send_upload(client, plan, image)
    assert put.status_code == 200, put.text
    done = await f.complete_upload(client, who, plan["upload_id"])
    assert done.status_code == 200, done.text
    return {**plan, "media_id": done.json()["media_id"]}


async def test_a_put_past_the_declared_size_is_refused_and_nothing_is_kept(
    embedded: Embedded, image: bytes
) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    plan = await _plan(client, creator, len(image))
    key = f"uploads/{creator.id}/{plan['upload_id']}/original"

    big = await client.put(
        _route(plan["url"]), content=image + b"\0" * 4096, headers=plan["headers"]
    )

    f.assert_problem(big, 413, "storage.too_large")
    assert await services.storage.stat(key) is None
    assert list((_local(services).root / ".tmp").iterdir()) == []
    # The upload is still open: the right bytes go through and complete.
    ok = await f.send_upload(client, plan, image)
    assert ok.status_code == 200
    done = await f.complete_upload(client, creator, plan["upload_id"])
    assert done.status_code == 200, done.text


async def test_a_put_of_another_content_type_is_refused(embedded: Embedded, image: bytes) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    plan = await _plan(client, creator, len(image))

    wrong = await client.put(
        _route(plan["url"]), content=image, headers={"Content-Type": "text/html"}
    )

    f.assert_problem(wrong, 415, "storage.wrong_type")
    assert await services.storage.stat(f"uploads/{creator.id}/{plan['upload_id']}/original") is None


async def test_the_signed_url_is_dead_once_the_upload_is_complete(
    embedded: Embedded, image: bytes
) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    plan = await _completed(client, creator, image)
    media_id, url = plan["media_id"], _route(plan["url"])
    before = await services.storage.stat(f"media/{media_id}/original")

    again = await client.put(url, content=image[::-1], headers=plan["headers"])

    f.assert_problem(again, 409, "upload.closed")
    assert await services.storage.stat(f"uploads/{creator.id}/{plan['upload_id']}/original") is None
    assert await services.storage.stat(f"media/{media_id}/original") == before


async def test_bad_ranges_are_problem_details(embedded: Embedded, image: bytes) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    media_id = (await _completed(client, creator, image))["media_id"]

    media = await f.settled_media(client, creator, media_id)
    assert media["status"] == "ready", media
    url = _route(media["cover_url"])
    size = int((await client.head(url)).headers["content-length"])

    malformed = await client.get(url, headers={"Range": "bytes=abc"})
    f.assert_problem(malformed, 400, "storage.bad_range")
    past = await client.get(url, headers={"Range": f"bytes={size}-"})
    f.assert_problem(past, 416, "storage.range_not_satisfiable")
    assert past.headers["content-range"] == f"bytes */{size}"
    ranged = await client.get(url, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and len(ranged.content) == 10


async def test_a_tampered_or_unknown_url_is_problem_details(embedded: Embedded) -> None:
    client, services = embedded
    url = await services.storage.presign_get("media/none/cover.jpg", 60)

    missing = await client.get(_route(url))
    f.assert_problem(missing, 404, "storage.not_found")
    tampered = await client.get(_route(url).replace("sig=", "sig=0"))
    f.assert_problem(tampered, 403, "storage.signature_invalid")


async def test_bytes_that_slip_in_after_complete_are_swept_once_the_url_is_dead(
    embedded: Embedded, image: bytes, tmp_path: Path
) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    plan = await _completed(client, creator, image)
    media_key, key = f"media/{plan['media_id']}/original", _upload_key(creator, plan)
    again = await client.put(_route(plan["url"]), content=image[::-1], headers=plan["headers"])
    f.assert_problem(again, 409, "upload.closed")
    # A PUT that passed the open check just before complete, and finished writing after it.
    late = tmp_path / "late.png"
    late.write_bytes(image[::-1])
    await services.storage.upload_from(late, key, "image/png")
    async with services.write_sessions() as session:  # its URL expired a day ago
        await session.exec(
            sa.update(Upload)
            .where(col(Upload.id) == plan["upload_id"])
            .values(expires_at=utcnow() - timedelta(days=1))
        )
        await session.commit()

    swept = await sweep_once(services, review_after_s=10**6, media_after_s=10**6)

    assert swept["upload_keys"] >= 1
    assert await services.storage.stat(key) is None
    original = await services.storage.stat(media_key)
    assert original is not None and original.size == len(image)
    assert await services.storage.read_range(media_key, 0, 8) == image[:8]
    async with services.read_sessions() as session:
        upload = await session.get(Upload, plan["upload_id"])
        assert upload is not None and upload.swept_at is not None


def _upload_key(who: f.Person, plan: dict[str, Any]) -> str:
    return f"uploads/{who.id}/{plan['upload_id']}/original"
