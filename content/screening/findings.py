"""What screening reports: one `Finding` per problem, with offsets into the field's source text,
and the severities that decide whether it blocks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from content.models import Severity

__all__ = ["SEVERITY_RANK", "Check", "Finding", "blocking"]

SEVERITY_RANK: Final = {Severity.info: 0, Severity.warn: 1, Severity.block: 2}


# Stored in revisions' findings: a value, once used, is never renamed.
class Check(StrEnum):
    """What produced a finding."""

    dictionary = "dictionary"  # a term of the operators' dictionary
    health_claim = "health_claim"  # an absolute or exaggerated health or efficacy claim
    rumor = "rumor"  # a known rumor of the library
    references = "references"  # science claims without references
    wechat = "wechat"  # WeChat's content-security verdict (msgSecCheck)
    media = "media"  # the video, cover or a body image could not be processed (the machine stage)


@dataclass(frozen=True, slots=True)
class Finding:
    """One machine finding; `start`/`end` are character offsets into the original field text.

    `message` tells the creator, in plain Chinese, what to change. `ref` points at what produced
    it (a rumor's id), `dictionary_version` at the dictionary that produced it. On text read off
    a video, `t_start`/`t_end` are the seconds it is on screen, so a reviewer can go there.
    """

    check: Check
    severity: Severity
    field: str
    start: int
    end: int
    excerpt: str
    message: str
    category: str | None = None
    ref: str | None = None
    dictionary_version: int | None = None
    t_start: float | None = None
    t_end: float | None = None

    def as_dict(self) -> dict[str, str | int | float]:
        out: dict[str, str | int | float] = {
            "check": self.check,
            "severity": self.severity,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "message": self.message,
        }
        for key in ("category", "ref", "dictionary_version", "t_start", "t_end"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def blocking(findings: Iterable[Finding | Mapping[str, Any]]) -> bool:
    """Whether any finding blocks publication. Takes findings or their stored dict form."""
    return any(
        (f.severity if isinstance(f, Finding) else f.get("severity")) == Severity.block
        for f in findings
    )
