"""Uploads as WeChat's wx.uploadFile sends them: a multipart/form-data POST of one file with
form fields, asked for with `method: "form"`. On S3 a presigned POST policy binds the key, the
type and the size, and S3 refuses anything else itself; on local disk the API's storage route
streams the file to disk under the same rules. Each test runs on both backends where both
apply. And the creator's whole edit flow with wx.request's methods only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from api.app import create_app
from infra.services import Services
from infra.storage.local import LocalStorage
from tests import factories as f
from tests.helpers import WX_METHODS, embedded_settings, serving
from tests.media_files import png, video

Backend = tuple[httpx.AsyncClient, Services]


@pytest.fixture(scope="module")
async def embedded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Backend]:
    app = create_app(embedded_settings(tmp_path_factory.mktemp("form-uploads")))
    async with serving(app) as client:
        yield client, app.state.services


@pytest.fixture(params=["s3", "local"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The conftest app (S3 on SeaweedFS) or the embedded default (local disk)."""
    if request.param == "s3":
        return request.getfixturevalue("client"), request.getfixturevalue("services")
    local: Backend = request.getfixturevalue("embedded")
    return local


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return png(tmp_path_factory.mktemp("png") / "cover.png", 320, 200)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return video(tmp_path_factory.mktemp("video") / "clip.mp4", 320, 180, seconds=1).read_bytes()


def _is_local(services: Services) -> bool:
    return isinstance(services.storage, LocalStorage)


async def _form_plan(
    client: httpx.AsyncClient, who: f.Person, data: bytes, content_type: str = "image/png"
) -> dict[str, Any]:
    resp = await f.start_upload(client, who, len(data), content_type, method="form")
    assert resp.status_code == 201, resp.text
    plan: dict[str, Any] = resp.json()
    return plan


async def _stored(services: Services, plan: dict[str, Any], owner: f.Person) -> object:
    return await services.storage.stat(f"uploads/{owner.id}/{plan['upload_id']}/original")


async def test_a_form_plan_names_the_url_the_fields_and_the_file_field(
    backend: Backend, cover: bytes
) -> None:
    client, services = backend
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    assert plan["method"] == "form" and plan["headers"] == {}
    assert plan["file_field"] == "file"
    assert plan["fields"]["Content-Type"] == "image/png"
    assert plan["parts"] is None
    if not _is_local(services):  # S3's policy form: the key and a signed policy
        assert plan["fields"]["key"] == f"uploads/{creator.id}/{plan['upload_id']}/original"
        assert {"policy", "x-amz-signature", "x-amz-credential"} <= set(plan["fields"])


async def test_a_form_upload_completes_into_a_media_item_like_a_put(
    backend: Backend, cover: bytes
) -> None:
    client, services = backend
    creator = await f.person(services, "creator")
    media_id = await f.upload(client, creator, cover, method="form")
    media = await f.settled_media(client, creator, media_id)
    assert media["status"] == "ready" and (media["width"], media["height"]) == (320, 200)
    again = await f.complete_upload(client, creator, media_id)  # the upload's id is the media's
    assert again.status_code == 200 and again.json()["media_id"] == media_id


async def test_a_form_is_offered_only_up_to_the_multipart_threshold(backend: Backend) -> None:
    client, services = backend
    creator = await f.person(services, "creator")
    big = services.settings.multipart_threshold + 1
    resp = await f.start_upload(client, creator, big, "video/mp4", "long.mp4", method="form")
    problem = f.assert_problem(resp, 422, "upload.method_unavailable")
    assert problem["errors"][0]["field"] == "method"
    small = await f.start_upload(client, creator, 1000, "video/mp4", "a.mp4", method="multipart")
    f.assert_problem(small, 422, "upload.method_unavailable")
    # Nothing was opened: the creator has no upload counted against the quota.
    assert (await f.start_upload(client, creator, big, "video/mp4", "long.mp4")).json()[
        "method"
    ] == "multipart"


# -- what storage refuses ---------------------------------------------------------------------


async def test_a_form_file_over_the_declared_size_is_refused_and_nothing_is_kept(
    backend: Backend, cover: bytes
) -> None:
    client, services = backend
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    resp = await f.send_form(client, plan, cover + b"\0")
    if _is_local(services):
        f.assert_problem(resp, 413, "storage.too_large")
    else:  # the policy's content-length-range, enforced by S3 itself
        assert resp.status_code == 400 and "<Code>EntityTooLarge</Code>" in resp.text
    assert await _stored(services, plan, creator) is None
    f.assert_problem(
        await f.complete_upload(client, creator, plan["upload_id"]), 409, "upload.incomplete"
    )
    # The upload stays open: the right file can still be sent.
    assert (await f.send_form(client, plan, cover)).status_code == 204


async def test_a_form_of_another_type_is_refused_and_nothing_is_kept(
    backend: Backend, cover: bytes
) -> None:
    client, services = backend
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    resp = await f.send_form(
        client, plan, cover, fields={**plan["fields"], "Content-Type": "video/mp4"}
    )
    if _is_local(services):
        f.assert_problem(resp, 415, "storage.wrong_type")
    else:  # the policy fixes Content-Type
        assert resp.status_code == 403 and "Policy Condition failed" in resp.text
    assert await _stored(services, plan, creator) is None


async def test_a_form_without_the_file_field_is_refused(backend: Backend, cover: bytes) -> None:
    client, services = backend
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    for bad in (
        await f.send_form(client, plan, cover, name="image"),
        await f.send_form(client, plan, cover, files=[]),
    ):
        if _is_local(services):
            problem = f.assert_problem(bad, 400, "storage.form_file_missing")
            assert "'file'" in problem["detail"]
        else:  # a file under another name: InvalidArgument; none at all: EntityTooSmall
            assert bad.status_code == 400 and "<Error><Code>" in bad.text
    assert await _stored(services, plan, creator) is None


async def test_a_form_with_two_files_stores_nothing_but_the_one_declared(
    backend: Backend, cover: bytes
) -> None:
    client, services = backend
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    other = bytes(reversed(cover))
    resp = await f.send_form(client, plan, cover, files=[("file", cover), ("file2", other)])
    if _is_local(services):
        f.assert_problem(resp, 400, "storage.form_extra_file")
        assert await _stored(services, plan, creator) is None
    else:
        # SeaweedFS stores the first file and ignores the rest (S3: fields after the file are
        # ignored); the policy still binds it to the declared size and type.
        assert resp.status_code == 204, resp.text
        done = await f.complete_upload(client, creator, plan["upload_id"])
        assert done.status_code == 200, done.text
        media = await f.settled_media(client, creator, done.json()["media_id"])
        assert media["status"] == "ready"


async def test_a_form_to_a_tampered_or_expired_url_is_refused(
    backend: Backend, cover: bytes
) -> None:
    client, services = backend
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    key = f"uploads/{creator.id}/{plan['upload_id']}/original"
    short = await services.storage.presign_post(key, "image/png", len(cover), expires_s=1)
    if _is_local(services):
        tampered = {**plan, "url": plan["url"].replace("sig=", "sig=0")}
    else:
        tampered = {**plan, "fields": {**plan["fields"], "x-amz-signature": "0" * 64}}
    bad = await f.send_form(client, tampered, cover)
    await asyncio.sleep(2.1)
    expired_plan = {**plan, "url": short.url, "fields": short.fields}
    expired = await f.send_form(client, expired_plan, cover)
    if _is_local(services):
        f.assert_problem(bad, 403, "storage.signature_invalid")
        f.assert_problem(expired, 403, "storage.url_expired")
    else:
        assert bad.status_code == 403 and "SignatureDoesNotMatch" in bad.text
        assert expired.status_code == 403 and "Policy expired" in expired.text
    assert await _stored(services, plan, creator) is None


async def test_a_form_is_complete_then_answers_upload_closed_on_local_disk(
    embedded: Backend, cover: bytes
) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    assert (await f.send_form(client, plan, cover)).status_code == 204
    assert (await f.complete_upload(client, creator, plan["upload_id"])).status_code == 200
    again = await f.send_form(client, plan, cover)
    f.assert_problem(again, 409, "upload.closed")
    assert await _stored(services, plan, creator) is None


def _route(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_a_broken_form_is_refused_and_nothing_is_kept_on_local_disk(
    embedded: Backend, cover: bytes
) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    url = _route(plan["url"])
    raw = await client.post(url, content=cover, headers={"Content-Type": "image/png"})
    f.assert_problem(raw, 400, "storage.form_invalid")
    head = (
        b'--b0undary\r\nContent-Disposition: form-data; name="Content-Type"\r\n\r\nimage/png\r\n'
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    )
    multipart = {"Content-Type": "multipart/form-data; boundary=b0undary"}
    cut = await client.post(url, content=head + cover, headers=multipart)  # no closing boundary
    f.assert_problem(cut, 400, "storage.form_invalid")
    assert await _stored(services, plan, creator) is None
    whole = await client.post(
        url, content=head + cover + b"\r\n--b0undary--\r\n", headers=multipart
    )
    assert whole.status_code == 204, whole.text


async def test_an_oversize_form_is_refused_before_its_body_is_read_on_local_disk(
    embedded: Backend, cover: bytes
) -> None:
    client, services = embedded
    creator = await f.person(services, "creator")
    plan = await _form_plan(client, creator, cover)
    pulled = 0
    head = (
        b'--b0undary\r\nContent-Disposition: form-data; name="Content-Type"\r\n\r\nimage/png\r\n'
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    )

    async def endless() -> AsyncIterator[bytes]:  # 64 MiB if it were all read
        nonlocal pulled
        yield head
        for _ in range(1024):
            pulled += 65536
            yield b"\0" * 65536

    resp = await client.post(
        _route(plan["url"]),
        content=endless(),
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    f.assert_problem(resp, 413, "storage.too_large")
    assert pulled <= 4 * 65536  # refused at the first block past the declared size
    assert await _stored(services, plan, creator) is None


# -- the creator's whole flow, as a mini-program sends it -------------------------------------


async def test_a_creator_edits_and_resubmits_with_wx_request_methods_and_form_uploads(
    backend: Backend, cover: bytes, clip: bytes
) -> None:
    client, services = backend
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.method)

    client.event_hooks["request"].append(record)
    try:
        crew = await f.crew(services)
        login = await f.login(client, crew.creator.username, f.PASSWORD)
        assert login.status_code == 200, login.text
        me = f.Person(crew.creator.id, crew.creator.username, login.json()["access_token"])

        cover_id = await f.upload(client, me, cover, method="form")
        video_id = await f.upload(client, me, clip, "video/mp4", "clip.mp4", method="form")
        assert (await f.settled_media(client, me, video_id, within=90))["status"] == "ready"
        draft = await f.create(
            client, me, type="video", media_id=video_id, cover_media_id=cover_id, body=None
        )
        url = f"/api/v1/contents/{draft['id']}"

        edited = await client.put(url, json={"title": "地震来了怎么办"}, headers=me.auth)
        assert edited.status_code == 200, edited.text
        assert edited.json()["title"] == "地震来了怎么办"
        assert edited.json()["summary"] == draft["summary"]  # a partial update, as PATCH
        assert (await f.submit(client, me, draft["id"])).status_code == 202

        task = await f.wait_for_task(client, crew.political, "political", draft["id"])
        asked = await f.decide(client, crew.political, task["id"], "request_changes", "请补充来源")
        assert asked.status_code == 200, asked.text
        assert (await f.get(client, me, draft["id"])).json()["status"] == "changes_requested"

        again = await client.put(url, json={"summary": "补充了来源"}, headers=me.auth)
        assert again.status_code == 200, again.text
        assert (again.json()["status"], again.json()["revision"]) == ("draft", 2)
        assert (await f.submit(client, me, draft["id"])).status_code == 202
        task2 = await f.wait_for_task(client, crew.political, "political", draft["id"])
        assert task2["revision"] == 2 and task2["content"]["summary"] == "补充了来源"
    finally:
        client.event_hooks["request"].remove(record)
    assert sent and set(sent) <= WX_METHODS, sorted(set(sent))
    assert "PUT" in sent
