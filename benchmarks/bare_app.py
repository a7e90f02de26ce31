"""The baseline of feed_throughput.py and page_cost.py: a one-route FastAPI app, outside Kepu,
serving a constant body under the uvicorn settings `kepu serve` uses (no proxy headers unless
KEPU_FORWARDED_ALLOW_IPS is set, which the benchmarks leave unset).

Usage: `python benchmarks/bare_app.py PORT SIZE` (a body of that many bytes) or
`python benchmarks/bare_app.py PORT @FILE` (exactly the bytes of FILE: a page Kepu served)."""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response


def build(body: bytes) -> FastAPI:
    app = FastAPI()

    @app.get("/page")
    async def page() -> Response:
        return Response(body, media_type="application/json")

    return app


def body_of(arg: str) -> bytes:
    if arg.startswith("@"):
        return Path(arg[1:]).read_bytes()
    size = int(arg)
    return b"[" + b"0," * ((size - 2) // 2) + b"0" * ((size - 2) % 2) + b"]"


if __name__ == "__main__":
    port, body = int(sys.argv[1]), body_of(sys.argv[2])
    uvicorn.run(build(body), host="127.0.0.1", port=port, log_config=None, proxy_headers=False)
