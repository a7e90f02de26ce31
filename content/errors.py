"""Domain errors. Each carries a stable machine-readable code and a message a user can act on;
the mapping to HTTP lives in api/problems.py alone."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"


class Unauthenticated(DomainError):
    code = "auth.invalid_token"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class Invalid(DomainError):
    """Input that breaks a rule. ``field`` names the offending field."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.field = field


class TooLarge(DomainError):
    code = "too_large"


class QuotaExceeded(DomainError):
    code = "quota_exceeded"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 1, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency (Redis, storage, WeChat) is down; the caller should retry later — or, with
    ``retry_after=None``, a part that is not set up, where retrying cannot help."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int | None = 5, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after = retry_after
