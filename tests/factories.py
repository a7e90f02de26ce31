"""Small async factories: people with roles and tokens, contents and uploads driven through the
API, and rows written straight into a session for tests of a service."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from content import accounts, items, review
from content.items import ContentView, Draft
from content.models import (
    Action,
    ContentType,
    Media,
    MediaKind,
    ReviewTask,
    Stage,
    TaskStatus,
    User,
)
from infra.security import issue_token
from infra.services import Services
from infra.settings import Settings
from tests.helpers import eventually
from workers.app import _write

PASSWORD = "correct horse battery"


@dataclass
class Person:
    id: str
    username: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def in_english(self) -> dict[str, str]:
        """``auth`` asking for problems in English (their specific message; Chinese otherwise)."""
        return {**self.auth, **ENGLISH}


async def person(
    services: Services, *roles: str, disciplines: tuple[str, ...] = (), name: str | None = None
) -> Person:
    username = f"{(name or roles[0] if roles else 'user')}-{secrets.token_hex(4)}"
    async with services.write_sessions() as session:
        user = await accounts.create_staff_user(
            session,
            username=username,
            password=PASSWORD,
            display_name=name or username,
            roles=roles,
            disciplines=disciplines,
        )
        await session.commit()
    token = issue_token(user.id, services.settings.resolved_jwt_secret(), 3600)
    return Person(user.id, username, token)


ENGLISH = {"Accept-Language": "en"}


async def login(
    client: httpx.AsyncClient, username: str, password: str, **headers: str
) -> httpx.Response:
    """A password login (the OAuth2 form the API takes)."""
    return await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}, headers=headers
    )


@dataclass
class Crew:
    """Everyone an article's lifecycle needs."""

    creator: Person
    political: Person
    science: Person
    admin: Person


async def crew(services: Services, discipline: str = "medicine") -> Crew:
    return Crew(
        creator=await person(services, "creator"),
        political=await person(services, "political_reviewer"),
        science=await person(services, "science_reviewer", disciplines=(discipline,)),
        admin=await person(services, "admin"),
    )


def article(**overrides: Any) -> dict[str, Any]:
    body = {
        "type": "article",
        "title": "冬季如何科学预防流感",
        "summary": "接种疫苗、勤洗手、多通风。",
        "body": "## 预防要点\n\n研究表明，接种流感疫苗可以降低重症风险。\n\n- 勤洗手\n- 多通风",
        "topics": ["health"],
        "audiences": ["elderly"],
        "discipline": "medicine",
        "references": [{"title": "流感防治指南（2025年版）", "url": "https://example.org/guide"}],
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, who: Person, **overrides: Any) -> dict[str, Any]:
    resp = await client.post("/api/v1/contents", json=article(**overrides), headers=who.auth)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


async def get(client: httpx.AsyncClient, who: Person | None, content_id: str) -> httpx.Response:
    return await client.get(f"/api/v1/contents/{content_id}", headers=who.auth if who else {})


async def my_content_ids(client: httpx.AsyncClient, who: Person) -> list[str]:
    """The ids of ``who``'s own contents (the first page of 50)."""
    resp = await client.get("/api/v1/me/contents", params={"limit": 50}, headers=who.auth)
    assert resp.status_code == 200, resp.text
    return [c["id"] for c in resp.json()["items"]]


async def submit(client: httpx.AsyncClient, who: Person, content_id: str) -> httpx.Response:
    return await client.post(f"/api/v1/contents/{content_id}/submit", headers=who.auth)


async def submitted(client: httpx.AsyncClient, who: Person, **overrides: Any) -> str:
    """Create an article (``overrides`` as for ``article``) and submit it; returns its id."""
    content = await create(client, who, **overrides)
    resp = await submit(client, who, content["id"])
    assert resp.status_code == 202, resp.text
    return str(content["id"])


async def open_tasks(
    client: httpx.AsyncClient, reviewer: Person, stage: str | None = None
) -> list[dict[str, Any]]:
    """Every open task in the reviewer's queue (of ``stage``, or of all their stages)."""
    tasks: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"status": "open", "limit": 50}
        if stage:
            params["stage"] = stage
        if cursor:
            params["cursor"] = cursor
        resp = await client.get("/api/v1/review/tasks", params=params, headers=reviewer.auth)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        tasks += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return tasks


async def task_for(
    client: httpx.AsyncClient, reviewer: Person, stage: str, content_id: str
) -> dict[str, Any] | None:
    return next(
        (t for t in await open_tasks(client, reviewer, stage) if t["content_id"] == content_id),
        None,
    )


async def wait_for_task(
    client: httpx.AsyncClient, reviewer: Person, stage: str, content_id: str
) -> dict[str, Any]:
    """The open task of ``stage`` for a content, once the workflow has created it."""

    async def check() -> dict[str, Any] | None:
        return await task_for(client, reviewer, stage, content_id)

    task: dict[str, Any] = await eventually(check)  # type: ignore[assignment]
    return task


async def claim(client: httpx.AsyncClient, reviewer: Person, task_id: str) -> httpx.Response:
    return await client.post(f"/api/v1/review/tasks/{task_id}/claim", headers=reviewer.auth)


async def decide(
    client: httpx.AsyncClient,
    reviewer: Person,
    task_id: str,
    decision: str,
    comment: str | None = None,
) -> httpx.Response:
    """A review decision; without ``comment`` the request carries none at all."""
    body = {"decision": decision} | ({} if comment is None else {"comment": comment})
    return await client.post(
        f"/api/v1/review/tasks/{task_id}/decision", json=body, headers=reviewer.auth
    )


async def approve(client: httpx.AsyncClient, reviewer: Person, task_id: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/review/tasks/{task_id}/decision",
        json={"decision": "approve", "comment": "内容准确"},
        headers=reviewer.auth,
    )


async def in_political(client: httpx.AsyncClient, crew: Crew, **kw: Any) -> tuple[str, str]:
    """Create and submit an article; returns (content id, its political task id)."""
    content = await create(client, crew.creator, **kw)
    await submit(client, crew.creator, content["id"])
    task = await wait_for_task(client, crew.political, "political", content["id"])
    return str(content["id"]), str(task["id"])


async def publish(client: httpx.AsyncClient, crew: Crew, **overrides: Any) -> str:
    """Create, submit and approve an article at every stage; returns its id."""
    content_id, task_id = await in_political(client, crew, **overrides)
    assert (await approve(client, crew.political, task_id)).status_code == 200
    task = await wait_for_task(client, crew.science, "science", content_id)
    assert (await approve(client, crew.science, task["id"])).status_code == 200
    return content_id


async def comment(
    client: httpx.AsyncClient,
    who: Person,
    content_id: str,
    body: str = "讲得很清楚，学到了",
    reply_to: str | None = None,
) -> dict[str, Any]:
    """``who`` comments on a content (or replies); returns the comment as posted."""
    payload: dict[str, Any] = {"body": body}
    if reply_to is not None:
        payload["reply_to"] = reply_to
    resp = await client.post(
        f"/api/v1/contents/{content_id}/comments", json=payload, headers=who.auth
    )
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


# A comment screening holds for an operator (an absolute health claim: a warning).
HELD_COMMENT = "这个偏方包治百病"


async def takedown(
    client: httpx.AsyncClient,
    who: Person,
    content_id: str,
    reason: str = "不实信息",
    server: str = "",
) -> httpx.Response:
    """``who`` takes a content down, on the client's app or on the API at ``server``."""
    return await client.post(
        f"{server}/api/v1/admin/contents/{content_id}/takedown",
        json={"reason": reason},
        headers=who.auth,
    )


async def pin(
    client: httpx.AsyncClient, who: Person, content_id: str, until: datetime | str
) -> httpx.Response:
    until = until.isoformat() if isinstance(until, datetime) else until
    return await client.post(
        f"/api/v1/admin/contents/{content_id}/pin", json={"until": until}, headers=who.auth
    )


async def past_machine_stage(
    client: httpx.AsyncClient, who: Person, content_id: str
) -> dict[str, Any]:
    """The author's view of a submitted content once the machine stage has judged it."""

    async def judged() -> dict[str, Any] | None:
        detail: dict[str, Any] = (await get(client, who, content_id)).json()
        return detail if detail["review_stage"] != "machine" else None

    result: dict[str, Any] = await eventually(judged)  # type: ignore[assignment]
    return result


async def screened(client: httpx.AsyncClient, who: Person, **overrides: Any) -> dict[str, Any]:
    """Create and submit an article; the author's view of it once the machine stage judged it."""
    return await past_machine_stage(client, who, await submitted(client, who, **overrides))


def assert_problem(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem-details response with the contract's fields; returns its body."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


async def in_science(client: httpx.AsyncClient, crew: Crew) -> tuple[str, str]:
    """An article its political reviewer approved; returns (content id, its science task id)."""
    content_id, task_id = await in_political(client, crew)
    assert (await approve(client, crew.political, task_id)).status_code == 200
    task = await wait_for_task(client, crew.science, "science", content_id)
    return content_id, str(task["id"])


async def draft_in_session(
    session: AsyncSession, settings: Settings, owner_id: str, **overrides: Any
) -> ContentView:
    """A draft (an article, unless ``type="video"``) written straight through the service, in
    ``session`` (not committed)."""
    owner = await session.get(User, owner_id)
    assert owner is not None
    fields = article(**overrides)
    kind = ContentType(fields.pop("type"))
    return await items.create(session, settings, owner, kind, Draft(**fields))


async def user_in_session(
    session: AsyncSession, *roles: str, disciplines: tuple[str, ...] = ()
) -> User:
    """A user with ``roles`` written straight into ``session`` (no password: nobody logs in)."""
    name = f"{roles[0] if roles else 'user'}-{secrets.token_hex(4)}"
    user = User(username=name, display_name=name, roles=list(roles), disciplines=list(disciplines))
    session.add(user)
    await session.flush()
    return user


async def political_task_in_session(
    session: AsyncSession, settings: Settings, owner_id: str, **overrides: Any
) -> tuple[ContentView, str]:
    """A draft article of ``owner_id`` (``article(**overrides)``) submitted and passed by the
    machine stage, in ``session`` (not committed): its view, and the id of its open political
    task."""
    view = await draft_in_session(session, settings, owner_id, **overrides)
    await items.submit(session, view.author, view.content.id)
    assert await review.run_machine_stage(session, view.revision.id) == "passed"
    return view, await open_task_in_session(session, view.content.id, Stage.political)


async def open_task_in_session(session: AsyncSession, content_id: str, stage: Stage) -> str:
    """The id of a content's open task of ``stage``, as ``session`` sees it."""
    task_id = await session.exec(
        select(ReviewTask.id).where(
            ReviewTask.content_id == content_id,
            ReviewTask.stage == stage,
            ReviewTask.status == TaskStatus.open,
        )
    )
    return task_id.one()


async def published_in_session(
    session: AsyncSession, settings: Settings, **overrides: Any
) -> ContentView:
    """An article (``article(**overrides)``) approved at both human stages by reviewers of its
    own, in ``session``."""
    owner = await user_in_session(session, "creator")
    political = await user_in_session(session, "political_reviewer")
    science = await user_in_session(session, "science_reviewer", disciplines=("medicine",))
    view, task_id = await political_task_in_session(session, settings, owner.id, **overrides)
    await review.decide(session, political, task_id, Action.approve, None)
    science_task = await open_task_in_session(session, view.content.id, Stage.science)
    await review.decide(session, science, science_task, Action.approve, None)
    return view


async def start_upload(
    client: httpx.AsyncClient,
    who: Person,
    size: int,
    content_type: str = "image/png",
    filename: str = "cover.png",
    method: str | None = None,
) -> httpx.Response:
    """Ask for an upload (a ``method`` of sending it, or the size decides); a 201's body is
    the plan: where to send the bytes, and how."""
    body: dict[str, Any] = {"filename": filename, "content_type": content_type, "size": size}
    return await client.post(
        "/api/v1/uploads", json=body | ({"method": method} if method else {}), headers=who.auth
    )


async def send_upload(
    client: httpx.AsyncClient,
    plan: dict[str, Any],
    data: bytes,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """PUT ``data`` where a single-part upload plan says, as a phone does: straight to the S3
    server, or to this API's own storage route when storage is the local disk."""
    headers = plan["headers"] if headers is None else headers
    url = urlsplit(plan["url"])
    if url.path.startswith("/api/v1/storage/"):
        return await client.put(f"{url.path}?{url.query}", content=data, headers=headers)
    async with httpx.AsyncClient() as phone:  # the phone talks to storage, not to the API
        return await phone.put(plan["url"], content=data, headers=headers)


async def send_form(
    client: httpx.AsyncClient,
    plan: dict[str, Any],
    data: bytes,
    *,
    fields: dict[str, str] | None = None,
    name: str | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> httpx.Response:
    """POST ``data`` as ``wx.uploadFile`` does with a form plan: multipart/form-data with the
    plan's ``fields`` as formData and the file under its ``file_field`` (``name``/``fields``
    replace them, ``files`` replaces the one file, for bad forms)."""
    form = plan["fields"] if fields is None else fields
    sent = [(plan["file_field"] if name is None else name, data)] if files is None else files
    upload = [
        (field, ("upload.bin", content, "application/octet-stream")) for field, content in sent
    ]
    kwargs: dict[str, Any] = {"data": form, "files": upload}
    if not upload:  # httpx would send fields alone urlencoded; a form without a file is multipart
        boundary = secrets.token_hex(8)
        body = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in form.items()
        )
        kwargs = {
            "content": f"{body}--{boundary}--\r\n".encode(),
            "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        }
    url = urlsplit(plan["url"])
    if url.path.startswith("/api/v1/storage/"):
        headers = {**kwargs.pop("headers", {}), **ENGLISH}  # to read the specific message
        return await client.post(f"{url.path}?{url.query}", headers=headers, **kwargs)
    async with httpx.AsyncClient() as phone:  # the phone talks to storage, not to the API
        return await phone.post(plan["url"], **kwargs)


async def complete_upload(
    client: httpx.AsyncClient, who: Person, upload_id: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/uploads/{upload_id}/complete", json=body or None, headers=who.auth
    )


async def upload(
    client: httpx.AsyncClient,
    who: Person,
    data: bytes,
    content_type: str = "image/png",
    filename: str = "cover.png",
    method: str = "PUT",
) -> str:
    """``data`` uploaded in one PUT (or form POST, ``method="form"``) and completed; returns
    the id of the media it became."""
    started = await start_upload(client, who, len(data), content_type, filename, method)
    assert started.status_code == 201, started.text
    plan = started.json()
    assert plan["method"] == method
    if method == "form":
        sent = await send_form(client, plan, data)
        assert sent.status_code == 204, sent.text
    else:
        sent = await send_upload(client, plan, data)
        assert sent.status_code == 200, sent.text
    done = await complete_upload(client, who, plan["upload_id"])
    assert done.status_code == 200, done.text
    return str(done.json()["media_id"])


async def settled_media(
    client: httpx.AsyncClient, who: Person, media_id: str, within: float = 15.0
) -> dict[str, Any]:
    """The owner's view of a media item once processing is over (ready or failed)."""

    async def check() -> dict[str, Any] | None:
        media: dict[str, Any] = (
            await client.get(f"/api/v1/media/{media_id}", headers=who.auth)
        ).json()
        return media if media["status"] in ("ready", "failed") else None

    result: dict[str, Any] = await eventually(check, within=within)  # type: ignore[assignment]
    return result


async def stored_media(
    services: Services, owner: Person, source: Path, kind: MediaKind, content_type: str
) -> str:
    """A media item whose original ``source`` is in storage, pending, as if just uploaded."""
    key = f"uploads/{owner.id}/{secrets.token_hex(8)}/original"
    await services.storage.upload_from(source, key, content_type)
    stored = await services.storage.stat(key)
    assert stored is not None
    async with services.write_sessions() as session:
        media = Media(
            owner_id=owner.id,
            kind=kind,
            object_key=key,
            content_type=content_type,
            size=stored.size,
        )
        session.add(media)
        await session.commit()
        return media.id


def writer(
    services: Services,
) -> Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]:
    """Runs one piece of work in its own committed transaction, then carries out what it
    declared: the jobs' own write path."""

    async def write(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        return await _write(services, work)

    return write


def random_address() -> str:
    """A client address of its own, so per-address limits (logins) start afresh for a test."""
    return "10." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))


@contextlib.asynccontextmanager
async def from_address(app: FastAPI, host: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the running app whose requests come from ``host``. Tests that fail many
    logins use one, so the shared client's address (127.0.0.1) is never locked out."""
    transport = httpx.ASGITransport(app=app, client=(host, 50123))
    async with httpx.AsyncClient(transport=transport, base_url="http://kepu.test") as c:
        yield c
