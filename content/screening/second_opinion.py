"""WeChat's content-security check as a second opinion beside ours, when configured; a slow or
down WeChat never blocks screening, which says so in an `info` finding (docs/screening.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import anyio
import httpx

from content.models import Severity
from content.screening.findings import Check, Finding
from infra.settings import Settings
from infra.wechat import SECCHECK_MAX_CHARS, SharedToken, WechatError, msg_sec_check

log = logging.getLogger(__name__)

# WeChat's calls for one screening may take this many call timeouts together.
BUDGET_TIMEOUTS: Final = 4
UNAVAILABLE_MESSAGE: Final = (
    "微信内容安全检测这次没有完成（服务暂时不可用），其余检查照常进行，审核人员会人工复核"
)
LABELS: Final = {
    10001: "广告",
    20001: "时政",
    20002: "色情",
    20003: "辱骂",
    20006: "违法犯罪",
    20008: "欺诈",
    20012: "低俗",
    20013: "版权",
    21000: "其他违规",
}


@dataclass
class SecondOpinion:
    """One per process, built at start-up with the shared HTTP client and the access token all
    processes share."""

    http: httpx.AsyncClient
    settings: Settings
    token: SharedToken

    @property
    def enabled(self) -> bool:
        s = self.settings
        return bool(s.wechat_seccheck and s.wechat_appid and s.wechat_secret)

    @property
    def budget_s(self) -> float:
        """How long all of WeChat's calls for one screening may take together (a token, a few
        parts, a renewed token): past it, screening goes on without the rest."""
        return BUDGET_TIMEOUTS * self.settings.wechat_timeout_s

    async def findings(
        self, fields: Mapping[str, str | None], openid: str | None, version: int | None = None
    ) -> list[Finding]:
        """WeChat's findings on the fields; none when it is off or the author has no WeChat
        account (the check needs the openid of a recent user). When WeChat fails or is slow,
        what it said so far and an `info` finding saying the check was not completed: the
        reviewers then know the second opinion is missing, and nothing waits for it."""
        if not self.enabled or not openid:
            return []
        found: list[Finding] = []
        name = next(iter(fields), "body")  # the field being checked when WeChat gives out
        why = f"no answer within {self.budget_s:g} s"
        with anyio.move_on_after(self.budget_s):
            try:
                for name, text in fields.items():
                    await self._check(name, text or "", openid, version, found)
                return found
            except WechatError as exc:
                why = str(exc)
        log.warning("msgSecCheck unavailable, screening without it: %s", why)
        return [*found, _unavailable(name, version)]

    async def _check(
        self, name: str, text: str, openid: str, version: int | None, found: list[Finding]
    ) -> None:
        """Ask about one field, part by part, adding WeChat's verdicts to `found`."""
        for start in range(0, len(text), SECCHECK_MAX_CHARS):
            chunk = text[start : start + SECCHECK_MAX_CHARS]
            verdict = await msg_sec_check(
                self.http, self.settings, self.token, content=chunk, openid=openid
            )
            if verdict.suggest not in ("risky", "review"):
                continue
            # Where its rule matched, if it says; else the start of the part it checked.
            keyword = next((k for k in verdict.keywords if k in chunk), None)
            first = start + chunk.find(keyword) if keyword else start
            end = first + len(keyword) if keyword else start
            label = LABELS.get(verdict.label, "其他违规")
            risky = verdict.suggest == "risky"
            found.append(
                Finding(
                    Check.wechat,
                    Severity.warn if risky else Severity.info,
                    name,
                    first,
                    end,
                    text[first:end],
                    f"微信内容安全检测认为这里{'' if risky else '可能'}涉及{label}内容，"
                    "请检查并修改；如确无问题，审核人员会复核",
                    dictionary_version=version,
                )
            )


def _unavailable(field_name: str, version: int | None) -> Finding:
    return Finding(
        Check.wechat,
        Severity.info,
        field_name,
        0,
        0,
        "",
        UNAVAILABLE_MESSAGE,
        dictionary_version=version,
    )
