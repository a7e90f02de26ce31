"""A takedown purges the CDN: the public URLs of the media it removed reach the operator's purge
hook (a local stub server here) with the token, once per batch, retried until the hook takes
them; content that never had public copies sends nothing."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as kepu
from content import jobs
from content.media import cdn_purge, exposure
from content.models import JobOutbox, Media
from infra.services import Services
from infra.settings import Settings
from tests import factories as f
from tests.cdn_stub import CdnStub, bucket_origin, run_cdn_stub
from tests.helpers import eventually, images_in, serving
from tests.media_files import png

TOKEN = secrets.token_urlsafe(32)


@dataclass
class Published:
    content_id: str
    media_id: str
    prefix: str
    keys: list[str]  # the public copies, as the hook must get them


@pytest.fixture(scope="module")
def stub(settings: Settings) -> Iterator[CdnStub]:
    """The CDN in front of the test bucket, and its purge hook."""
    with run_cdn_stub(bucket_origin(settings)) as running:
        yield running


@pytest.fixture(scope="module")
async def cdn_client(settings: Settings, stub: CdnStub) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own with a CDN and its purge hook, on a queue of its own, so its jobs run
    with those settings."""
    cdn = settings.model_copy(
        update={
            "public_media_base_url": stub.media_base_url,
            "cdn_purge_url": stub.url,
            "cdn_purge_token": TOKEN,
            "queue_name": f"{settings.queue_name}-cdn",
        }
    )
    async with serving(create_app(cdn)) as client:
        yield client


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return png(tmp_path_factory.mktemp("cdn") / "picture.png", 640, 480)


async def published_with_copies(
    client: httpx.AsyncClient, services: Services, crew: f.Crew, picture: bytes
) -> Published:
    """An article showing one picture, published, with its public copies made."""
    media_id = await f.upload(client, crew.creator, picture, "image/png", "picture.png")
    assert (await f.settled_media(client, crew.creator, media_id))["status"] == "ready"
    content_id = await f.publish(client, crew, body=f"一张图：\n\n![图](media:{media_id})\n")

    async def copied() -> Media | None:
        async with services.read_sessions() as session:
            media = await session.get(Media, media_id, populate_existing=True)
            return media if media is not None and media.public_prefix else None

    media: Media = await eventually(copied)  # type: ignore[assignment]
    assert media.public_prefix
    public = [f"{media.public_prefix}/{k}" for k in exposure.media_keys(media)]
    return Published(content_id, media_id, media.public_prefix, public)


async def purges_left(services: Services) -> list[JobOutbox]:
    async with services.read_sessions() as session:
        rows = await session.exec(select(JobOutbox).where(JobOutbox.name == jobs.PURGE_CDN))
        return list(rows.all())


async def test_a_takedown_sends_that_contents_public_urls_with_the_token(
    cdn_client: httpx.AsyncClient, services: Services, stub: CdnStub, picture: bytes
) -> None:
    crew = await f.crew(services)
    gone = await published_with_copies(cdn_client, services, crew, picture)
    kept = await published_with_copies(cdn_client, services, crew, picture)

    assert (await f.takedown(cdn_client, crew.admin, gone.content_id)).status_code == 200

    async def taken() -> list[object]:
        return stub.taken(gone.content_id)  # type: ignore[return-value]

    await eventually(taken)
    [purge] = stub.about(gone.content_id)
    assert purge.headers["authorization"] == f"Bearer {TOKEN}"
    assert purge.headers["idempotency-key"] == purge.body["id"]
    assert purge.body["paths"] == gone.keys
    assert purge.body["urls"] == [f"{stub.media_base_url}/{key}" for key in gone.keys]
    assert purge.body["prefixes"] == [gone.prefix]
    # The other content stays public, and the CDN is told nothing about it.
    assert stub.about(kept.content_id) == []
    assert not any(k in r.body["paths"] for r in stub.received for k in kept.keys)
    for key in gone.keys:
        assert await services.storage.stat(key) is None
    await eventually(lambda: _none_about(services, purge.body["id"]))


async def _none_about(services: Services, purge_id: str) -> bool:
    return all(row.subject != purge_id for row in await purges_left(services))


async def test_a_hook_answering_500_gets_the_same_batch_again_until_it_takes_it(
    cdn_client: httpx.AsyncClient, services: Services, stub: CdnStub, picture: bytes
) -> None:
    crew = await f.crew(services)
    gone = await published_with_copies(cdn_client, services, crew, picture)
    stub.answer(500, 503)

    assert (await f.takedown(cdn_client, crew.admin, gone.content_id)).status_code == 200

    async def taken() -> list[object]:
        return stub.taken(gone.content_id)  # type: ignore[return-value]

    await eventually(taken, within=45)
    tries = stub.about(gone.content_id)
    assert [t.answered for t in tries] == [500, 503, 200]
    assert len({t.body["id"] for t in tries}) == 1  # one batch, sent again as it was
    assert tries[-1].body["paths"] == gone.keys


async def test_a_hook_that_is_down_gets_the_batch_once_it_is_back(
    cdn_client: httpx.AsyncClient, services: Services, stub: CdnStub, picture: bytes
) -> None:
    crew = await f.crew(services)
    gone = await published_with_copies(cdn_client, services, crew, picture)

    with stub.down():
        assert (await f.takedown(cdn_client, crew.admin, gone.content_id)).status_code == 200

        async def failed_once() -> bool:
            # A try that could not connect hands the job back, due again later.
            return any(
                row.args[1]["content_id"] == gone.content_id
                and row.taken_by is None
                and row.due_at > row.created_at + timedelta(seconds=1)
                for row in await purges_left(services)
            )

        await eventually(failed_once, within=30)
        assert stub.about(gone.content_id) == []
        assert await purges_waiting(cdn_client) >= 1  # what an operator's alert watches

    async def taken() -> list[object]:
        return stub.taken(gone.content_id)  # type: ignore[return-value]

    await eventually(taken, within=45)
    urls = [f"{stub.media_base_url}/{k}" for k in gone.keys]
    assert stub.taken(gone.content_id)[0].body["urls"] == urls

    async def drained() -> bool:
        return await purges_waiting(cdn_client) == 0

    await eventually(drained)


async def purges_waiting(client: httpx.AsyncClient) -> float:
    """``kepu_cdn_purges_waiting`` as /metrics has it (served without a token in dev mode)."""
    metrics = (await client.get("/metrics")).text
    [line] = [x for x in metrics.splitlines() if x.startswith("kepu_cdn_purges_waiting ")]
    return float(line.split()[1])


async def test_a_refused_token_is_logged_as_an_error_and_tried_again(
    cdn_client: httpx.AsyncClient,
    services: Services,
    stub: CdnStub,
    picture: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    crew = await f.crew(services)
    gone = await published_with_copies(cdn_client, services, crew, picture)
    stub.answer(401)
    caplog.set_level(logging.INFO, logger="kepu.cdn")

    assert (await f.takedown(cdn_client, crew.admin, gone.content_id)).status_code == 200

    async def taken() -> list[object]:
        return stub.taken(gone.content_id)  # type: ignore[return-value]

    await eventually(taken, within=30)
    purge_id = stub.about(gone.content_id)[0].body["id"]
    [refusal] = [r for r in caplog.records if r.levelno == logging.ERROR and purge_id in r.message]
    assert "HTTP 401" in refusal.message and "KEPU_CDN_PURGE_TOKEN" in refusal.message
    assert not any(TOKEN in r.message for r in caplog.records)  # the secret never reaches a log


async def test_content_that_never_had_public_copies_sends_no_purge(
    cdn_client: httpx.AsyncClient, services: Services, stub: CdnStub
) -> None:
    crew = await f.crew(services)
    content_id = await f.publish(cdn_client, crew)  # text only: nothing was ever copied

    assert (await f.takedown(cdn_client, crew.admin, content_id)).status_code == 200

    async def synced() -> bool:
        async with services.read_sessions() as session:
            waiting = await jobs.live_subjects(session, jobs.SYNC_PUBLIC_MEDIA, [content_id])
        return not waiting

    await eventually(synced)  # the takedown's sync ran; any purge was asked for in its write
    assert not any(r.args[1]["content_id"] == content_id for r in await purges_left(services))
    assert stub.about(content_id) == []


async def test_removed_copies_are_asked_in_batches_of_at_most_a_hundred_urls(
    settings: Settings, services: Services, session: AsyncSession
) -> None:
    hook = settings.model_copy(
        update={
            "public_media_base_url": "https://cdn.example",
            "cdn_purge_url": "http://127.0.0.1:9/purge",
            "cdn_purge_token": TOKEN,
        }
    )
    removed = {f"public/{i:02d}": [f"public/{i:02d}/k{j}" for j in range(5)] for i in range(50)}

    assert cdn_purge.ask(session, services.storage, hook, "c1", removed) == 3
    bodies = [row.args[1] for row in session.new if isinstance(row, JobOutbox)]
    bodies.sort(key=lambda b: b["paths"][0])
    assert [len(b["paths"]) for b in bodies] == [100, 100, 50]
    every = [k for prefix in sorted(removed) for k in removed[prefix]]
    assert [p for b in bodies for p in b["paths"]] == every
    assert all(b["prefixes"] == sorted({p.rpartition("/")[0] for p in b["paths"]}) for b in bodies)
    assert len({b["id"] for b in bodies}) == 3


async def test_without_a_hook_no_purge_is_asked(
    settings: Settings, services: Services, session: AsyncSession
) -> None:
    removed = {"public/ab": ["public/ab/media/m/cover.jpg"]}
    assert cdn_purge.ask(session, services.storage, settings, "c1", removed) == 0
    assert not [row for row in session.new if isinstance(row, JobOutbox)]


async def check_through_the_cdn(urls: list[str]) -> tuple[int, str]:
    """`kepu cdn check -` on ``urls`` (in a thread: the command runs its own event loop)."""
    result = await asyncio.to_thread(
        CliRunner().invoke, kepu, ["cdn", "check", "-"], input="\n".join(urls) + "\n"
    )
    return result.exit_code, result.output


async def test_the_drill_check_sees_the_public_urls_served_then_gone_after_a_takedown(
    cdn_client: httpx.AsyncClient, services: Services, stub: CdnStub, picture: bytes
) -> None:
    crew = await f.crew(services)
    gone = await published_with_copies(cdn_client, services, crew, picture)
    shown = (await f.get(cdn_client, None, gone.content_id)).json()
    urls = [img["src"] for img in images_in(shown["body_html"])]
    assert urls and all(u.startswith(stub.media_base_url) for u in urls)

    status, output = await check_through_the_cdn(urls)
    assert status == 1 and f"still served: {urls[0]}" in output, output

    assert (await f.takedown(cdn_client, crew.admin, gone.content_id)).status_code == 200

    async def taken() -> list[object]:
        return stub.taken(gone.content_id)  # type: ignore[return-value]

    await eventually(taken)
    assert set(urls) <= set(stub.taken(gone.content_id)[0].body["urls"])
    f.assert_problem(await f.get(cdn_client, None, gone.content_id), 404, "content.not_found")
    owners = await f.get(cdn_client, crew.creator, gone.content_id)
    assert owners.json()["status"] == "taken_down"
    assert stub.media_base_url not in owners.text  # signed URLs only, for the owner alone
    status, output = await check_through_the_cdn(urls)
    assert status == 0 and f"{len(urls)} gone, 0 still served, 0 unknown" in output, output


async def test_the_drill_check_cannot_tell_when_the_cdn_does_not_answer() -> None:
    status, output = await check_through_the_cdn(["http://127.0.0.1:9/media/public/x/cover.jpg"])
    assert status == 2 and "could not tell (ConnectError)" in output, output


async def test_a_worker_without_the_hook_leaves_the_batch_for_one_that_has_it(
    settings: Settings, services: Services
) -> None:
    body = {"id": "p1", "content_id": "c1", "urls": [], "paths": [], "prefixes": []}
    with pytest.raises(cdn_purge.RetryLater) as later:
        await cdn_purge.send(services.http, settings, "p1", body, tries=1)
    assert later.value.delay_s == 300
