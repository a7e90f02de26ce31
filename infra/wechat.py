"""WeChat mini-program login: exchange a ``wx.login`` code for the user's openid
(``jscode2session``). The base URL is configurable so tests talk to a local stub server."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from infra.settings import Settings

log = logging.getLogger(__name__)

# errcodes documented by WeChat for jscode2session
_INVALID_CODE = {40029, 40163, 40226}  # invalid, already used, high-risk user blocked
_RATE_LIMITED = {45011}
_BUSY = {-1}


class WechatError(Exception):
    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


class WechatCodeInvalid(WechatError):
    pass


class WechatRateLimited(WechatError):
    pass


class WechatUnavailable(WechatError):
    pass


@dataclass(frozen=True)
class WechatSession:
    openid: str
    unionid: str | None


async def jscode2session(http: httpx.AsyncClient, settings: Settings, code: str) -> WechatSession:
    if not settings.wechat_appid or not settings.wechat_secret:
        raise WechatUnavailable(
            "WeChat login is not configured: set KEPU_WECHAT_APPID and KEPU_WECHAT_SECRET"
        )
    try:
        resp = await http.get(
            settings.wechat_base_url.rstrip("/") + "/sns/jscode2session",
            params={
                "appid": settings.wechat_appid,
                "secret": settings.wechat_secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
            timeout=settings.wechat_timeout_s,
        )
    except httpx.HTTPError as exc:
        raise WechatUnavailable(f"WeChat did not answer: {type(exc).__name__}") from exc
    if resp.status_code >= 500:
        raise WechatUnavailable(f"WeChat answered HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError as exc:
        raise WechatUnavailable("WeChat answered with something that is not JSON") from exc
    errcode = int(data.get("errcode") or 0)
    if errcode in _INVALID_CODE:
        raise WechatCodeInvalid(data.get("errmsg") or "invalid code", errcode)
    if errcode in _RATE_LIMITED:
        raise WechatRateLimited(data.get("errmsg") or "rate limited", errcode)
    if errcode in _BUSY or resp.status_code != 200:
        raise WechatUnavailable(data.get("errmsg") or "WeChat is busy", errcode)
    if errcode:
        log.warning("jscode2session errcode %s: %s", errcode, data.get("errmsg"))
        raise WechatCodeInvalid(data.get("errmsg") or "login failed", errcode)
    openid = data.get("openid")
    if not isinstance(openid, str) or not openid:
        raise WechatUnavailable("WeChat's answer had no openid")
    # session_key is deliberately dropped: Kepu never decrypts user data, so it never keeps it.
    return WechatSession(openid=openid, unionid=data.get("unionid"))
