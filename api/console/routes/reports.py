"""Console pages: 举报 (to be built)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console import pages
from api.console.auth import Operator

router = APIRouter()


@router.get("/reports")
async def reports_index(request: Request, user: Operator) -> Response:
    return pages.render(request, "placeholder.html", title="举报")
