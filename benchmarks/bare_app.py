"""The baseline of feed_throughput.py: a one-route FastAPI app, outside Kepu, serving a constant
body of a feed page's size under the uvicorn settings `kepu serve` uses.

Usage: `python benchmarks/bare_app.py PORT SIZE` (the benchmark starts it)."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response


def build(size: int) -> FastAPI:
    body = b"[" + b"0," * ((size - 2) // 2) + b"0" * ((size - 2) % 2) + b"]"
    app = FastAPI()

    @app.get("/page")
    async def page() -> Response:
        return Response(body, media_type="application/json")

    return app


if __name__ == "__main__":
    port, size = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(build(size), host="127.0.0.1", port=port, log_config=None)
