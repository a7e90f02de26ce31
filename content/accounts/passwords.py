"""Which passwords an account may have: long enough and not guessable by zxcvbn's estimate;
staff, who can publish, review or take content down, need more (docs/accounts.md)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import anyio
from zxcvbn import matching, zxcvbn

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
_ZXCVBN_LOCK = threading.Lock()
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


def _known_positions(password: str, inputs: list[str]) -> set[int]:
    """Where ``password`` spells one of ``inputs`` (two characters or more), as written, in
    any case, in l33t or reversed: the positions zxcvbn's own matchers find."""
    known = {"known": matching.build_ranked_dict(w.lower() for w in inputs if len(w) >= 2)}
    found: set[int] = set()
    for matches in (
        matching.dictionary_match(password, known),
        matching.reverse_dictionary_match(password, known),
        matching.l33t_match(password, known),
    ):
        found.update(i for m in matches for i in range(m["i"], m["j"] + 1))
    return found


def _score(password: str, inputs: list[str]) -> tuple[int, str]:
    # zxcvbn keeps the user inputs of a call in a module-level dict: two threads estimating at
    # once would judge one account's password by the other's names.
    with _ZXCVBN_LOCK:
        result = zxcvbn(password, user_inputs=inputs)
    feedback = result["feedback"]
    return int(result["score"]), str(feedback["warning"] or " ".join(feedback["suggestions"]))


def _estimate(password: str, personal: list[str]) -> tuple[int, str]:
    judged = password[:_ESTIMATE_CHARS]
    inputs = [*(p for p in personal if p), *_SERVICE_WORDS]
    score, hint = _score(judged, inputs)
    # zxcvbn counts each part of a password as at least 10⁴ guesses, and its data knows no year
    # after 2019, so "Kepu" + "2026!" comes to 10⁷ guesses: enough for a public account. But the
    # name of the service or of the account is the first thing an attacker tries; it adds
    # nothing. Judge what is left without it, and the password by the weaker of the two.
    known = _known_positions(judged, inputs)
    if known:
        rest = "".join(c for i, c in enumerate(judged) if i not in known)
        rest_score = _score(rest, inputs)[0] if rest else 0
        if rest_score < score:
            score, hint = rest_score, "it is little more than the service's name or yours"
    return score, hint


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
