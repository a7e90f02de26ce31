"""WeChat's content-security check (msgSecCheck v2) as a second opinion on screened text: its
verdicts become findings next to ours. Off unless configured (`KEPU_WECHAT_SECCHECK` and the
mini-program's credentials); when WeChat is slow or down, screening goes on without it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import httpx

from content.screening import Check, Finding
from infra.settings import Settings
from infra.wechat import SECCHECK_MAX_CHARS, AccessToken, WechatError, msg_sec_check

log = logging.getLogger(__name__)

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
    """One per process, built at start-up with the shared HTTP client."""

    http: httpx.AsyncClient
    settings: Settings
    token: AccessToken = field(default_factory=AccessToken)

    @property
    def enabled(self) -> bool:
        s = self.settings
        return bool(s.wechat_seccheck and s.wechat_appid and s.wechat_secret)

    async def findings(
        self, fields: Mapping[str, str | None], openid: str | None, version: int | None = None
    ) -> list[Finding]:
        """WeChat's findings on the fields; none when it is off, the author has no WeChat
        account (the check needs the openid of a recent user) or WeChat does not answer."""
        if not self.enabled or not openid:
            return []
        found: list[Finding] = []
        for name, text in fields.items():
            for start in range(0, len(text or ""), SECCHECK_MAX_CHARS):
                assert text is not None
                chunk = text[start : start + SECCHECK_MAX_CHARS]
                try:
                    verdict = await msg_sec_check(
                        self.http, self.settings, self.token, content=chunk, openid=openid
                    )
                except WechatError as exc:
                    log.warning("msgSecCheck unavailable, screening without it: %s", exc)
                    return found
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
                        "warn" if risky else "info",
                        name,
                        first,
                        end,
                        text[first:end],
                        f"微信内容安全检测认为这里{'' if risky else '可能'}涉及{label}内容，"
                        "请检查并修改；如确无问题，审核人员会复核",
                        dictionary_version=version,
                    )
                )
        return found
