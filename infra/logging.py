"""Structured logs (structlog over the standard library) with the request id on every line."""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from urllib.parse import parse_qsl, urlencode

import structlog

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def _add_request_id(
    _logger: object, _method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    rid = request_id.get()
    if rid is not None:
        event.setdefault("request_id", rid)
    return event


# Query parameters that make a URL a credential: presigned S3 (X-Amz-Signature, -Credential,
# -Security-Token), our own signed storage URLs, and WeChat's calls (the app secret, a login's
# js_code, access tokens). A log line is read by more people than the URL was meant for, and a
# signed URL works for anyone who holds it until it expires.
_SECRET_PARAM = re.compile(
    r"signature|credential|security-token|token|secret|^js_code$|^code$|^sig$|^key$", re.I
)
_SIGNED_ROUTE = "/storage/"
REDACTED = "REDACTED"


def redact_url(path: str) -> str:
    """``path`` (with its query) as it may be logged: a signed storage route loses its whole
    query, any other URL the values of parameters that carry a signature or a token."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    if _SIGNED_ROUTE in base:
        return f"{base}?{REDACTED}"
    pairs = [
        (k, REDACTED if _SECRET_PARAM.search(k) else v)
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{base}?{urlencode(pairs, safe='/:')}"


class _RedactAccessLog(logging.Filter):
    """uvicorn's access log writes the path with its query; signatures must not reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_url(args[2]), *args[3:])
        return True


class _RedactOutbound(logging.Filter):
    """httpx logs each outbound request's URL with its query: WeChat's carry the app secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_url(str(a)) if "://" in str(a) and "?" in str(a) else a for a in record.args
            )
        return True


def configure(level: str = "INFO", as_json: bool = False) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _RedactAccessLog) for f in access.filters):
        access.addFilter(_RedactAccessLog())
    for name in ("httpx", "httpcore"):
        outbound = logging.getLogger(name)
        if not any(isinstance(f, _RedactOutbound) for f in outbound.filters):
            outbound.addFilter(_RedactOutbound())
