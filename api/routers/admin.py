"""Operators: accounts, takedown and pinning, the screening dictionary and the rumor library."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from api import presenters, problems
from api.deps import CurrentUser, Cursor, Limit, SessionDep
from api.schemas import (
    ClaimPatternIn,
    ClaimPatternOut,
    DisciplineIn,
    Page,
    PinIn,
    RumorIn,
    RumorOut,
    StatusOut,
    TakedownIn,
    TermIn,
    TermOut,
    TopicOut,
    UserCreate,
    UserOut,
)
from content import accounts, items, kit, screening
from content.models import Role, User


async def _admin(user: CurrentUser) -> User:
    accounts.require_role(user, Role.admin)
    return user


Admin = Annotated[User, Depends(_admin)]
router = APIRouter(prefix="/admin", tags=["admin"])


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=problems.responses(
        401,
        403,
        409,
        413,
        422,
        codes=[
            "auth.missing_role",
            "user.exists",
            "auth.weak_password",
            "invalid",
            "discipline.unknown",
        ],
    ),
)
async def create_user(body: UserCreate, _admin: Admin, session: SessionDep) -> UserOut:
    user = await accounts.create_staff_user(
        session,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        roles=body.roles,
        disciplines=body.disciplines,
    )
    return presenters.user_out(user)


@router.post(
    "/contents/{content_id}/takedown",
    response_model=StatusOut,
    responses=problems.responses(
        401,
        403,
        404,
        409,
        413,
        422,
        codes=[
            "auth.missing_role",
            "content.not_found",
            "workflow.invalid_state",
            "workflow.stale",
            "invalid",
        ],
    ),
)
async def takedown(
    content_id: str, body: TakedownIn, admin: Admin, session: SessionDep
) -> StatusOut:
    content = await items.takedown(session, admin, content_id, body.reason)
    return presenters.status_out(content)


@router.post(
    "/contents/{content_id}/pin",
    response_model=StatusOut,
    responses=problems.responses(
        401,
        403,
        404,
        409,
        413,
        422,
        codes=[
            "auth.missing_role",
            "content.not_found",
            "workflow.invalid_state",
            "pin.invalid_until",
        ],
    ),
)
async def pin(content_id: str, body: PinIn, admin: Admin, session: SessionDep) -> StatusOut:
    content = await items.pin(session, content_id, body.until)
    return presenters.pinned_out(content)


@router.delete(
    "/contents/{content_id}/pin",
    response_model=StatusOut,
    responses=problems.responses(
        401, 403, 404, 422, codes=["auth.missing_role", "content.not_found"]
    ),
)
async def unpin(content_id: str, admin: Admin, session: SessionDep) -> StatusOut:
    content = await items.pin(session, content_id, None)
    return presenters.status_out(content)


@router.get(
    "/screening/terms",
    response_model=Page[TermOut],
    responses=problems.responses(401, 403, 422, codes=["auth.missing_role"]),
)
async def list_terms(
    _admin: Admin, session: SessionDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[TermOut]:
    rows, next_cursor = await screening.list_terms(session, cursor, limit)
    return presenters.terms_page(rows, next_cursor)


@router.post(
    "/screening/terms",
    status_code=status.HTTP_201_CREATED,
    response_model=TermOut,
    responses=problems.responses(
        401,
        403,
        409,
        413,
        422,
        codes=[
            "auth.missing_role",
            "term.length",
            "term.nothing_to_match",
            "term.category",
            "term.severity",
            "term.pinyin_too_short",
            "term.control_character",
            "term.exists",
            "term.variant_exists",
        ],
    ),
)
async def add_term(body: TermIn, _admin: Admin, session: SessionDep) -> TermOut:
    term = await screening.add_term(session, body.term, body.category, body.severity, body.pinyin)
    return presenters.term_out(term)


@router.delete(
    "/screening/terms/{term_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems.responses(401, 403, 404, 422, codes=["auth.missing_role", "term.not_found"]),
)
async def delete_term(term_id: str, _admin: Admin, session: SessionDep) -> None:
    await screening.delete_term(session, term_id)


@router.get(
    "/screening/claims",
    response_model=Page[ClaimPatternOut],
    responses=problems.responses(401, 403, 422, codes=["auth.missing_role"]),
)
async def list_claim_patterns(
    _admin: Admin, session: SessionDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[ClaimPatternOut]:
    rows, next_cursor = await screening.list_claim_patterns(session, cursor, limit)
    return presenters.claim_patterns_page(rows, next_cursor)


@router.post(
    "/screening/claims",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimPatternOut,
    responses=problems.responses(
        401,
        403,
        409,
        413,
        422,
        codes=[
            "auth.missing_role",
            "claim.family",
            "claim.message",
            "claim.severity",
            "claim.control_character",
            "claim.pattern_syntax",
            "claim.pattern_too_broad",
            "claim.pattern_too_complex",
            "claim.exists",
        ],
    ),
)
async def add_claim_pattern(
    body: ClaimPatternIn, _admin: Admin, session: SessionDep
) -> ClaimPatternOut:
    row = await screening.add_claim_pattern(
        session, body.family, body.pattern, body.severity, body.message
    )
    return presenters.claim_pattern_out(row)


@router.delete(
    "/screening/claims/{pattern_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems.responses(
        401, 403, 404, 422, codes=["auth.missing_role", "claim.not_found"]
    ),
)
async def delete_claim_pattern(pattern_id: str, _admin: Admin, session: SessionDep) -> None:
    await screening.delete_claim_pattern(session, pattern_id)


@router.get(
    "/rumors",
    response_model=Page[RumorOut],
    responses=problems.responses(401, 403, 422, codes=["auth.missing_role"]),
)
async def list_rumors(
    _admin: Admin, session: SessionDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[RumorOut]:
    rows, next_cursor = await screening.list_rumors(session, cursor, limit)
    return presenters.rumors_page(rows, next_cursor)


@router.post(
    "/rumors",
    status_code=status.HTTP_201_CREATED,
    response_model=RumorOut,
    responses=problems.responses(
        401,
        403,
        413,
        422,
        codes=[
            "auth.missing_role",
            "rumor.claim",
            "rumor.truth",
            "rumor.keywords",
            "rumor.no_keywords",
            "rumor.control_character",
        ],
    ),
)
async def add_rumor(body: RumorIn, _admin: Admin, session: SessionDep) -> RumorOut:
    rumor = await screening.add_rumor(session, body.claim, body.truth, body.keywords, body.source)
    return presenters.rumor_out(rumor)


@router.delete(
    "/rumors/{rumor_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems.responses(
        401, 403, 404, 422, codes=["auth.missing_role", "rumor.not_found"]
    ),
)
async def delete_rumor(rumor_id: str, _admin: Admin, session: SessionDep) -> None:
    await screening.delete_rumor(session, rumor_id)


@router.post(
    "/disciplines",
    status_code=status.HTTP_201_CREATED,
    response_model=TopicOut,
    responses=problems.responses(
        401, 403, 409, 413, 422, codes=["auth.missing_role", "discipline.exists", "invalid"]
    ),
)
async def add_discipline(body: DisciplineIn, _admin: Admin, session: SessionDep) -> TopicOut:
    (out,) = presenters.topics([await kit.add_discipline(session, body.slug, body.name)])
    return out


@router.delete(
    "/disciplines/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems.responses(
        401,
        403,
        404,
        409,
        422,
        codes=["auth.missing_role", "discipline.not_found", "discipline.in_use"],
    ),
)
async def delete_discipline(slug: str, _admin: Admin, session: SessionDep) -> None:
    await kit.delete_discipline(session, slug)
