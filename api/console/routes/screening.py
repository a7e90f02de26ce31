"""Console pages: 筛查词库 — the screening terms, the health-claim patterns and the rumor library
operators keep, and importing them from CSV files. Each form calls the service the API's
``/admin/screening/*`` and ``/admin/rumors`` routes call (and the import the one of ``kepu
screening import``): a change bumps the dictionary's version, so every process screens with it
from its next screening on."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from api import problem_codes
from api.console import names, pages
from api.console.auth import Operator
from api.console.errors import back_to
from api.deps import ServicesDep, SessionDep
from content import screening
from content.models import Severity
from infra.services import Services

router = APIRouter()
PAGE = 50  # rows a list shows at a time
ONCE_TTL_S = 3600  # how long a sent add form is remembered (a double click, a reload)
TERMS, CLAIMS, RUMORS, IMPORT = (
    "/console/screening",
    "/console/screening/claims",
    "/console/screening/rumors",
    "/console/screening/import",
)
SEVERITIES = names.SEVERITIES
KINDS = {
    screening.ImportKind.terms: "敏感词",
    screening.ImportKind.claims: "健康宣称模式",
    screening.ImportKind.rumors: "谣言",
}
Text = Annotated[str, Form(max_length=10_000)]
Cursor = Annotated[str | None, Query(max_length=40)]
Once = Annotated[str, Form(min_length=16, max_length=64)]


def _page(request: Request, template: str, **context: Any) -> Response:
    return pages.render(request, template, severities=SEVERITIES, **context)


def _once() -> str:
    """A fresh token for an add form: the server takes each one once."""
    return secrets.token_urlsafe(24)


async def _first_time(services: Services, once: str) -> str | None:
    """The Redis key that marks this form sent, or None when it was sent already."""
    digest = hashlib.sha256(once.encode()).hexdigest()
    key = f"{services.settings.redis_prefix}:console:form:{digest}"
    fresh = await services.redis.set(key, "1", nx=True, ex=ONCE_TTL_S)
    return key if fresh else None


async def _add_once(
    services: Services, once: str, back: str, add: Callable[[], Awaitable[object]], done: str
) -> Response:
    """Run ``add`` unless this form was sent before (then nothing is added and the list says
    so), and go back to the list saying ``done``. A refused form may be sent again once
    corrected."""
    key = await _first_time(services, once)
    if key is None:
        return pages.redirect(
            back, "这个表单已经提交过一次，没有重复添加；结果见下方列表。", "note"
        )
    try:
        await add()
    except BaseException:
        await services.redis.delete(key)
        raise
    return pages.redirect(back, f"{done}，下一次筛查起生效")


async def _remove(request: Request, remove: Awaitable[object], back: str, done: str) -> Response:
    """Remove a row, then back to the list page (and its search, its page) it was removed from."""
    await remove
    return pages.redirect(back_to(request, back), f"{done}，下一次筛查起生效")


async def _list_page(
    request: Request,
    session: SessionDep,
    path: str,
    tab: str,
    listed: tuple[list[Any], str | None],
    after: str | None,
    query: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A list's page: its rows, newest first, a page at a time (``more`` the next page's link,
    ``first`` the first page's once past it), the tabs' counts and a fresh add form."""
    rows, next_cursor = listed
    query = query or {}
    more = f"{path}?" + urlencode({**query, "after": next_cursor}) if next_cursor else None
    first = f"{path}?" + urlencode(query) if any(query.values()) else path
    return _page(
        request,
        f"screening_{tab}.html",
        tab=tab,
        sizes=await screening.list_sizes(session),
        rows=rows,
        more=more,
        first=first if after else None,
        once=_once(),
        **context,
    )


# --- terms


@router.get("/screening")
async def terms_page(
    request: Request,
    user: Operator,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    after: Cursor = None,
) -> Response:
    listed = await screening.list_terms(session, after, PAGE, search=q, newest_first=True)
    categories = sorted({t.category for t in screening.DEFAULT_TERMS})
    return await _list_page(
        request, session, TERMS, "terms", listed, after, {"q": q}, q=q, categories=categories
    )


@router.post("/screening/terms")
async def add_term(
    user: Operator,
    session: SessionDep,
    services: ServicesDep,
    once: Once,
    term: Annotated[str, Form(max_length=200)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
    severity: Annotated[str, Form(max_length=10)] = "",
    pinyin: Annotated[bool, Form()] = False,
) -> Response:
    adding = partial(screening.add_term, session, term, category, severity, pinyin)
    return await _add_once(services, once, TERMS, adding, f"已添加词条「{term.strip()}」")


@router.post("/screening/terms/{term_id}/delete")
async def delete_term(
    request: Request, term_id: str, user: Operator, session: SessionDep
) -> Response:
    return await _remove(request, screening.delete_term(session, term_id), TERMS, "已删除词条")


# --- claim patterns


@router.get("/screening/claims")
async def claims_page(
    request: Request, user: Operator, session: SessionDep, after: Cursor = None
) -> Response:
    listed = await screening.list_claim_patterns(session, after, PAGE, newest_first=True)
    families = [kind.name for kind in screening.HEALTH_CLAIMS]
    return await _list_page(request, session, CLAIMS, "claims", listed, after, families=families)


@router.post("/screening/claims")
async def add_claim_pattern(
    user: Operator,
    session: SessionDep,
    services: ServicesDep,
    once: Once,
    family: Annotated[str, Form(max_length=64)] = "",
    pattern: Annotated[str, Form(max_length=200)] = "",
    severity: Annotated[str, Form(max_length=10)] = Severity.warn,
    message: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    adding = partial(screening.add_claim_pattern, session, family, pattern, severity, message)
    return await _add_once(services, once, CLAIMS, adding, f"已添加宣称模式「{pattern.strip()}」")


@router.post("/screening/claims/{pattern_id}/delete")
async def delete_claim_pattern(
    request: Request, pattern_id: str, user: Operator, session: SessionDep
) -> Response:
    removing = screening.delete_claim_pattern(session, pattern_id)
    return await _remove(request, removing, CLAIMS, "已删除宣称模式")


# --- rumors


@router.get("/screening/rumors")
async def rumors_page(
    request: Request, user: Operator, session: SessionDep, after: Cursor = None
) -> Response:
    listed = await screening.list_rumors(session, after, PAGE)
    return await _list_page(request, session, RUMORS, "rumors", listed, after)


@router.post("/screening/rumors")
async def add_rumor(
    user: Operator,
    session: SessionDep,
    services: ServicesDep,
    once: Once,
    claim: Annotated[str, Form(max_length=1000)] = "",
    truth: Annotated[str, Form(max_length=10_000)] = "",
    keywords: Annotated[str, Form(max_length=2000)] = "",
    source: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    # One keyword a line, or separated by semicolons as in the import's files.
    words = [w for w in re.split(r"[;；\r\n]+", keywords) if w.strip()]
    adding = partial(screening.add_rumor, session, claim, truth, words, source or None)
    return await _add_once(services, once, RUMORS, adding, "已添加谣言条目")


@router.post("/screening/rumors/{rumor_id}/delete")
async def delete_rumor(
    request: Request, rumor_id: str, user: Operator, session: SessionDep
) -> Response:
    return await _remove(
        request, screening.delete_rumor(session, rumor_id), RUMORS, "已删除谣言条目"
    )


# --- import


def _import_page(
    request: Request, services: Services, sizes: screening.ListSizes, **context: Any
) -> Response:
    return _page(
        request,
        "screening_import.html",
        tab="import",
        sizes=sizes,
        kinds=KINDS,
        max_mb=round(services.settings.max_request_bytes / 2**20, 1),
        columns={
            kind.value: ",".join(screening.IMPORT_COLUMNS[kind]) for kind in screening.ImportKind
        },
        **context,
    )


@router.get("/screening/import")
async def import_page(
    request: Request, user: Operator, session: SessionDep, services: ServicesDep
) -> Response:
    sizes = await screening.list_sizes(session)
    return _import_page(
        request, services, sizes, report=None, kind="terms", dry_run=False, filename=""
    )


def _reason(why: str) -> tuple[str, str]:
    """A refused line's reason as the import reports it (``code: message``): the code's meaning
    in Chinese, and the rule's own words."""
    code, _, detail = why.partition(": ")
    known = problem_codes.CODES.get(code)
    return (known.zh, detail) if known else ("", why)


@router.post("/screening/import")
async def import_file(
    request: Request,
    user: Operator,
    session: SessionDep,
    services: ServicesDep,
    kind: Annotated[screening.ImportKind, Form()],
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """The report is the answer itself (it belongs to this upload alone); sending the same file
    again adds nothing, every line being a duplicate then."""
    report = await screening.import_file(session, kind, await file.read(), dry_run=dry_run)
    # What the page shows counts this import's rows: flushed, not yet committed.
    sizes = await screening.list_sizes(session)
    return _import_page(
        request,
        services,
        sizes,
        report=report,
        refused=[(line, *_reason(why)) for line, why in report.bad],
        kind=kind.value,
        dry_run=dry_run,
        filename=file.filename or "",
        message={
            "kind": "ok" if report.added or dry_run else "note",
            "text": (f"预览：将添加 {report.added} 条" if dry_run else f"已添加 {report.added} 条")
            + f"，跳过重复 {len(report.duplicates)} 条，拒绝 {len(report.bad)} 条",
        },
    )
