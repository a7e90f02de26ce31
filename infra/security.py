"""Password hashing (argon2id) and signed access tokens (JWT, HS256)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from infra.clock import utcnow

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the user does not exist, so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("kepu-timing-equaliser")
_ALGORITHM = "HS256"


class TokenError(Exception):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # malformed stored hash: treat as a failed login, never a 500
        return False


def issue_token(subject: str, secret: str, ttl_s: int) -> str:
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": subject,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s),
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(token: str, secret: str, *previous: str) -> str:
    """The subject of a valid, unexpired token signed with ``secret`` or, while a rotation
    lasts, with one of the ``previous`` secrets; TokenError otherwise."""
    try:
        claims = _claims(token, [secret, *previous])
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("the token has expired; log in again") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("the token is not valid; log in again") from exc
    if claims.get("typ") != "access" or not isinstance(claims.get("sub"), str):
        raise TokenError("the token is not an access token")
    return str(claims["sub"])


def _claims(token: str, keys: list[str]) -> dict[str, Any]:
    """The claims, verified with the key that signed the token (the last key's error if none)."""
    for key in keys[:-1]:
        with contextlib.suppress(jwt.InvalidSignatureError):
            return _decode(token, key)
    return _decode(token, keys[-1])


def _decode(token: str, key: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=[_ALGORITHM], options={"require": ["sub", "exp"]}
    )
    return claims
