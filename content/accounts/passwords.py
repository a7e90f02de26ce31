"""Which passwords an account may have: long enough and not guessable by zxcvbn's estimate;
staff, who can publish, review or take content down, need more (docs/accounts.md)."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from zxcvbn import zxcvbn

from content.errors import Invalid
from content.models import Role

# zxcvbn refuses longer input (its matching is quadratic); the first 72 characters of a
# password are plenty to judge it by.
_ESTIMATE_CHARS = 72
# Words an attacker tries first against this service and its users, beyond zxcvbn's English
# lists: the service's own names and the commonest Chinese password themes.
_SERVICE_WORDS = (
    *("kepu", "kepu123", "科普", "weixin", "wechat", "miniprogram", "admin", "reviewer"),
    *("woaini", "5201314", "1314520", "woaini1314", "aini1314", "zhongguo", "china"),
)
PUBLIC_ROLES = frozenset({Role.viewer, Role.creator})


@dataclass(frozen=True)
class Policy:
    min_chars: int
    min_score: int  # zxcvbn's 0–4: 2 is ≥ 10⁶ guesses, 3 is ≥ 10⁸, 4 is ≥ 10¹⁰


EVERYONE = Policy(min_chars=8, min_score=2)
STAFF = Policy(min_chars=12, min_score=3)


def policy_for(roles: list[Role]) -> Policy:
    return EVERYONE if set(roles) <= PUBLIC_ROLES else STAFF


def _weak(message: str) -> Invalid:
    return Invalid(message, field="password", code="auth.weak_password")


def _estimate(password: str, personal: list[str]) -> tuple[int, str]:
    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=[*personal, *_SERVICE_WORDS])
    feedback = result["feedback"]
    hint = feedback["warning"] or " ".join(feedback["suggestions"])
    return int(result["score"]), str(hint)


async def check_password(password: str, *, roles: list[Role], personal: list[str]) -> None:
    """Refuse (422 ``auth.weak_password``) a password too short or too easy to guess for an
    account with these roles; ``personal`` holds what an attacker knows of the account (its
    username, display name)."""
    policy = policy_for(roles)
    who = "a staff account" if policy is STAFF else "an account"
    if len(password.strip()) < policy.min_chars:
        raise _weak(f"password: {who} needs at least {policy.min_chars} characters")
    folded = password.strip().casefold()
    if any(folded == p.strip().casefold() for p in personal if p):
        raise _weak("password: it must not be the username or the display name")
    # CPU-bound for a few milliseconds; off the event loop like the hashing that follows.
    score, hint = await anyio.to_thread.run_sync(_estimate, password, personal)
    if score < policy.min_score:
        raise _weak(
            f"password: too easy to guess for {who}"
            + (f" ({hint.rstrip('.')})" if hint else "")
            + "; use a longer phrase of unrelated words"
        )
