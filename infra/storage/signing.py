"""Signed URLs for local-disk storage, the way S3 presigned URLs work: the URL names a method, a
key, an expiry and what the request may carry (a content type, a size limit, one part of a
multipart upload), and an HMAC over all of it. The storage route checks it with `verify`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from infra.storage.base import (
    SignatureExpired,
    SignatureInvalid,
    WrongContentType,
    check_expiry,
    check_key,
)

_SIGNING_VERSION = "kepu-storage-v2"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a verified URL allows: ``method`` on ``key``, possibly one part of an upload."""

    method: str  # "PUT", "POST" (a form upload) or "GET"
    key: str
    expires: int
    upload_id: str | None = None
    part_number: int | None = None
    content_type: str | None = None
    max_bytes: int | None = None  # a PUT (or a form's file) may carry at most this many bytes


class UrlSigner:
    """Signs and checks URLs under ``url_base`` (the API's storage route, as clients reach it)."""

    def __init__(
        self, url_base: str, secret: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        if not secret:
            raise ValueError("LocalStorage needs a secret to sign URLs")
        self._url_base = url_base.rstrip("/") + "/"
        self._secret = secret.encode()
        self._clock = clock

    def expiry(self, expires_s: int) -> int:
        return int(self._clock()) + check_expiry(expires_s)

    def url(self, request: SignedRequest) -> str:
        check_key(request.key)
        params: dict[str, str] = {"expires": str(request.expires), "method": request.method}
        if request.upload_id is not None:
            params["upload_id"] = request.upload_id
        if request.part_number is not None:
            params["part_number"] = str(request.part_number)
        if request.content_type is not None:
            params["content_type"] = request.content_type
        if request.max_bytes is not None:
            params["max_bytes"] = str(request.max_bytes)
        params["sig"] = self._sign(request)
        return self._url_base + quote(request.key, safe="/") + "?" + urlencode(params)

    def verify(self, method: str, key: str, query: Mapping[str, str]) -> SignedRequest:
        """Check a request to the storage route against its URL's signature and expiry.

        ``key`` is the decoded path after the route prefix and ``query`` the query parameters.
        HEAD is allowed wherever GET is. Raises `SignatureInvalid`, `SignatureExpired` or
        `InvalidKey`; on success, returns what the URL allows.
        """
        check_key(key)
        method = "GET" if method.upper() == "HEAD" else method.upper()
        if query.get("method") != method:
            raise SignatureInvalid(f"this URL is not signed for {method}")
        try:
            request = SignedRequest(
                method=method,
                key=key,
                expires=int(query["expires"]),
                upload_id=query.get("upload_id"),
                part_number=_optional_int(query.get("part_number")),
                content_type=query.get("content_type"),
                max_bytes=_optional_int(query.get("max_bytes")),
            )
        except (KeyError, ValueError) as exc:
            raise SignatureInvalid("signed URL is missing or has malformed parameters") from exc
        signature = query.get("sig", "")
        # Constant-time, so the signature cannot be guessed byte by byte from response times.
        if not hmac.compare_digest(signature.encode(), self._sign(request).encode()):
            raise SignatureInvalid("signature does not match")
        if self._clock() > request.expires:
            raise SignatureExpired("signed URL has expired")
        return request

    def _sign(self, request: SignedRequest) -> str:
        # Newline-separated: no field may contain one (keys refuse control characters), so
        # distinct requests can never produce the same signed string.
        message = "\n".join(
            (
                _SIGNING_VERSION,
                request.method,
                request.key,
                str(request.expires),
                request.upload_id or "",
                _text(request.part_number),
                request.content_type or "",
                _text(request.max_bytes),
            )
        )
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()


def check_content_type(signed: SignedRequest, sent: str | None) -> None:
    """A PUT signed for a content type must be sent with it (parameters and case aside)."""
    if signed.content_type is None:
        return
    if sent is None or not same_media_type(sent, signed.content_type):
        raise WrongContentType(
            f"this URL takes Content-Type {signed.content_type!r}, as the upload declared"
        )


def same_media_type(a: str, b: str) -> bool:
    """Whether two Content-Type values name the same type (parameters and case aside)."""
    return _media_type(a) == _media_type(b)


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _optional_int(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _text(value: int | None) -> str:
    return "" if value is None else str(value)
