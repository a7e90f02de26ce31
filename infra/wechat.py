"""WeChat's server APIs: mini-program login, exchanging a ``wx.login`` code for the user's openid
(``jscode2session``), and the content-security check of text (``msgSecCheck`` v2). The base URL
is configurable so tests talk to a local stub server."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import anyio
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


class WechatNotConfigured(WechatError):
    """No KEPU_WECHAT_APPID / KEPU_WECHAT_SECRET: retrying will not help until they are set."""


@dataclass(frozen=True)
class WechatSession:
    openid: str
    unionid: str | None


def _answer(resp: httpx.Response) -> dict[str, Any]:
    """WeChat's JSON answer (labelled text/plain), or `WechatUnavailable`."""
    if resp.status_code >= 500:
        raise WechatUnavailable(f"WeChat answered HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError as exc:
        raise WechatUnavailable("WeChat answered with something that is not JSON") from exc
    if not isinstance(data, dict):
        raise WechatUnavailable("WeChat answered with something that is not an object")
    return data


async def jscode2session(http: httpx.AsyncClient, settings: Settings, code: str) -> WechatSession:
    if not settings.wechat_appid or not settings.wechat_secret:
        raise WechatNotConfigured(
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
    data = _answer(resp)
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


# --- content security (msgSecCheck v2): a second opinion on text -----------------------------

# errcodes of an access token WeChat no longer accepts: fetch a new one and try once more.
_STALE_TOKEN = {40001, 40014, 42001}
# msgSecCheck takes at most this many characters of content per call.
SECCHECK_MAX_CHARS = 2500


@dataclass(frozen=True)
class SecVerdict:
    """WeChat's verdict on a text: `suggest` is pass, review or risky; `label` its category
    (100 normal, 10001 ads, 20001 politics, 20002 porn, 20003 abuse, 20006 crime, 20008 fraud,
    20012 vulgar, 20013 copyright, 21000 other); `keywords` the words its rules matched."""

    suggest: str
    label: int
    keywords: tuple[str, ...]


async def msg_sec_check(
    http: httpx.AsyncClient,
    settings: Settings,
    token: SharedToken,
    *,
    content: str,
    openid: str,
    scene: int = 3,  # 1 profile, 2 comment, 3 forum post, 4 social log
) -> SecVerdict:
    """WeChat's content-security check (version 2) of at most SECCHECK_MAX_CHARS characters,
    with the access token every process shares (a token of its own would retire theirs)."""
    body = {"content": content[:SECCHECK_MAX_CHARS], "version": 2, "scene": scene, "openid": openid}
    _, data = await _post_with_token(http, settings, token, "/wxa/msg_sec_check", body)
    errcode = int(data.get("errcode") or 0)
    if errcode:
        raise WechatUnavailable(data.get("errmsg") or "msgSecCheck failed", errcode)
    try:
        return _verdict(data)
    except (AttributeError, TypeError, ValueError) as exc:  # a shape we do not know
        raise WechatUnavailable(f"msgSecCheck answered oddly: {exc}") from exc


async def _post_with_token(
    http: httpx.AsyncClient, settings: Settings, token: SharedToken, path: str, body: Any
) -> tuple[httpx.Response, dict[str, Any]]:
    """POST ``body`` to a server API with the shared access token; when WeChat says the token
    is no longer valid, once more with a fresh one. WeChat's answer, whatever its errcode."""
    stale: str | None = None
    for attempt in range(2):
        value = await token.get(http, settings, stale=stale)
        try:
            resp = await http.post(
                settings.wechat_base_url.rstrip("/") + path,
                params={"access_token": value},
                json=body,
                timeout=settings.wechat_timeout_s,
            )
        except httpx.HTTPError as exc:
            raise WechatUnavailable(f"WeChat did not answer: {type(exc).__name__}") from exc
        answer = _answer(resp)
        if int(answer.get("errcode") or 0) in _STALE_TOKEN and attempt == 0:
            stale = value
            continue
        break
    return resp, answer


def _verdict(data: dict[str, Any]) -> SecVerdict:
    result = data.get("result") or {}
    keywords = tuple(
        str(d["keyword"])
        for d in data.get("detail") or []
        if isinstance(d, dict) and d.get("keyword")
    )
    return SecVerdict(
        str(result.get("suggest") or "pass"), int(result.get("label") or 100), keywords
    )


# --- the access token shared by every process, and subscribe messages -------------------------

# A fetched token is renewed this long before WeChat says it expires.
_RENEW_EARLY_S = 300
# How long one process may hold the right to fetch a token, and how long others wait for it.
_FETCH_LOCK_MS = 10_000
_WAIT_FOR_FETCH_S = 10.0
# The user did not subscribe to this template (or used up their one-off subscription).
NOT_SUBSCRIBED = 43101
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class SharedToken:
    """The mini-program's access token kept in Redis for every API and worker process: WeChat
    allows a limited number of fetches a day and a new token retires the old one, so it is
    fetched by one process at a time (a Redis lock), renewed before it expires and when WeChat
    says it is invalid, and never per message."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self.redis = redis
        self.key = f"{prefix}:wechat:access-token"
        self.lock = f"{prefix}:wechat:access-token:lock"

    async def get(
        self, http: httpx.AsyncClient, settings: Settings, *, stale: str | None = None
    ) -> str:
        """The current token; ``stale`` is one WeChat just refused, so another is needed."""
        if not settings.wechat_appid or not settings.wechat_secret:
            raise WechatNotConfigured("WeChat is not configured: set KEPU_WECHAT_APPID and _SECRET")
        deadline = time.monotonic() + _WAIT_FOR_FETCH_S
        while True:
            current = await self._read()
            if current and current != stale:
                return current
            me = secrets.token_hex(8)
            if await self.redis.set(self.lock, me, nx=True, px=_FETCH_LOCK_MS):
                try:
                    current = await self._read()  # fetched by another while we asked the lock
                    if current and current != stale:
                        return current
                    return await self._fetch(http, settings)
                finally:
                    await self.redis.eval(_RELEASE, 1, self.lock, me)
            if time.monotonic() > deadline:
                raise WechatUnavailable("waited too long for another process to fetch a token")
            await anyio.sleep(0.05)

    async def _read(self) -> str | None:
        raw = await self.redis.get(self.key)
        return raw.decode() if isinstance(raw, bytes) else raw

    async def _fetch(self, http: httpx.AsyncClient, settings: Settings) -> str:
        try:
            resp = await http.get(
                settings.wechat_base_url.rstrip("/") + "/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": settings.wechat_appid,
                    "secret": settings.wechat_secret,
                },
                timeout=settings.wechat_timeout_s,
            )
        except httpx.HTTPError as exc:
            raise WechatUnavailable(f"WeChat did not answer: {type(exc).__name__}") from exc
        data = _answer(resp)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise WechatUnavailable(
                data.get("errmsg") or "no access token", int(data.get("errcode") or 0)
            )
        ttl = max(60, int(data.get("expires_in") or 7200) - _RENEW_EARLY_S)
        await self.redis.set(self.key, token, ex=ttl)
        log.info("fetched a new WeChat access token, kept %d s", ttl)
        return token


class NotSubscribed(WechatError):
    """The user has not (or no longer) subscribed to this message: nothing to retry."""


async def send_subscribe_message(
    http: httpx.AsyncClient,
    settings: Settings,
    token: SharedToken,
    *,
    openid: str,
    template_id: str,
    data: dict[str, str],
    page: str,
) -> None:
    """``subscribeMessage.send``; `NotSubscribed` for errcode 43101, `WechatUnavailable` for
    anything worth another try later, `WechatError` for a refusal a retry would not change."""
    body = {
        "touser": openid,
        "template_id": template_id,
        "page": page,
        "data": {name: {"value": value} for name, value in data.items()},
    }
    path = "/cgi-bin/message/subscribe/send"
    resp, answer = await _post_with_token(http, settings, token, path, body)
    errcode = int(answer.get("errcode") or 0)
    if errcode == NOT_SUBSCRIBED:
        raise NotSubscribed(answer.get("errmsg") or "user did not subscribe", errcode)
    if errcode in _BUSY or errcode in _STALE_TOKEN or resp.status_code != 200:
        raise WechatUnavailable(answer.get("errmsg") or "WeChat is busy", errcode)
    if errcode:
        raise WechatError(answer.get("errmsg") or "subscribeMessage.send refused", errcode)
