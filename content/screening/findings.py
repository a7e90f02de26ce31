"""What screening reports: one `Finding` per problem, with offsets into the field's source text,
and the severities that decide whether it blocks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = ["SEVERITIES", "SEVERITY_RANK", "Check", "Finding", "blocking"]

SEVERITIES: Final = ("block", "warn", "info")
SEVERITY_RANK: Final = {"info": 0, "warn": 1, "block": 2}


class Check(StrEnum):
    dictionary = "dictionary"  # a term of the operators' dictionary
    health_claim = "health_claim"  # an absolute or exaggerated health or efficacy claim
    rumor = "rumor"  # a known rumor of the library
    references = "references"  # science claims without references
    wechat = "wechat"  # WeChat's content-security verdict (msgSecCheck)


@dataclass(frozen=True, slots=True)
class Finding:
    """One machine finding; `start`/`end` are character offsets into the original field text.

    `message` tells the creator, in plain Chinese, what to change. `ref` points at what produced
    it (a rumor's id), `dictionary_version` at the dictionary that produced it.
    """

    check: str
    severity: str
    field: str
    start: int
    end: int
    excerpt: str
    message: str
    category: str | None = None
    ref: str | None = None
    dictionary_version: int | None = None

    def as_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {
            "check": self.check,
            "severity": self.severity,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "message": self.message,
        }
        for key in ("category", "ref", "dictionary_version"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def blocking(findings: Iterable[Finding | Mapping[str, Any]]) -> bool:
    """Whether any finding blocks publication. Takes findings or their stored dict form."""
    return any(
        (f.severity if isinstance(f, Finding) else f.get("severity")) == "block" for f in findings
    )
