"""Console pages: 审核队列 (to be built)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console import pages
from api.console.auth import Reviewer

router = APIRouter()


@router.get("/review")
async def review_index(request: Request, user: Reviewer) -> Response:
    return pages.render(request, "placeholder.html", title="审核队列")
