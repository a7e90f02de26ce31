"""Entity tags: a response's body hashed, so a client holding the same body gets a 304."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def cache_control(*, private: bool) -> str:
    """Clients and proxies must revalidate every time: a takedown must not linger in anyone's
    cache; a personal answer stays out of shared ones."""
    return f"{'private' if private else 'public'}, no-cache"


def respond(request: Request, body: bytes, etag: str, *, private: bool) -> Response:
    """``body`` as JSON, or 304 if the client already holds it (If-None-Match)."""
    headers = {"ETag": etag, "Cache-Control": cache_control(private=private)}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def json_response(request: Request, model: BaseModel, *, private: bool) -> Response:
    body = model.model_dump_json().encode()
    return respond(request, body, etag_of(body), private=private)
