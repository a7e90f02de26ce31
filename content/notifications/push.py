"""Pushing a notification to WeChat as a subscribe message: a job's work, with its retry
policy. WeChat down or busy → `RetryLater`, with a growing delay; a user who did not subscribe,
or a refusal a retry would not change, settles the notification without one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta, timezone
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from content.models import Notification, User
from infra import wechat
from infra.clock import utcnow
from infra.settings import Settings

log = logging.getLogger(__name__)

Writer = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]
MAX_PUSH_TRIES = 12
_MAX_DELAY_S = 3600
# WeChat's `thing` fields hold at most 20 characters.
_THING_CHARS = 20
_CHINA = timezone(timedelta(hours=8))


class RetryLater(Exception):
    def __init__(self, delay_s: float) -> None:
        super().__init__(f"retry in {delay_s:.0f} s")
        self.delay_s = delay_s


def message_fields(n: Notification) -> dict[str, str]:
    """The template's fields: what happened (cut to WeChat's limit) and when, China time."""
    text = n.text if len(n.text) <= _THING_CHARS else n.text[: _THING_CHARS - 1] + "…"
    return {"thing1": text, "time2": n.created_at.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M")}


async def _settle(session: AsyncSession, notification_id: str, error: str | None) -> None:
    await session.exec(
        sa.update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.pushed_at).is_(None))
        .values(pushed_at=utcnow(), push_error=error)
    )


async def push(
    write: Writer,
    http: httpx.AsyncClient,
    token: wechat.SharedToken,
    settings: Settings,
    notification_id: str,
    tries: int,
) -> str:
    """Send one notification once (``pushed_at`` guards a repeated delivery); the outcome."""

    async def load(session: AsyncSession) -> tuple[Notification | None, User | None]:
        n = await session.get(Notification, notification_id)
        return n, (await session.get(User, n.user_id) if n is not None else None)

    n, user = await write(load)
    if n is None or user is None or n.pushed_at is not None:
        return "skipped"
    template = settings.wechat_templates.get(n.kind.value)
    if not template or not user.wechat_openid or not settings.wechat_appid:
        return "not_configured"
    try:
        await wechat.send_subscribe_message(
            http,
            settings,
            token,
            openid=user.wechat_openid,
            template_id=template,
            data=message_fields(n),
            page=settings.wechat_message_page,
        )
    except wechat.NotSubscribed:
        await write(lambda s: _settle(s, notification_id, "not_subscribed"))
        return "not_subscribed"
    except wechat.WechatUnavailable as exc:
        if tries < MAX_PUSH_TRIES:
            delay = min(settings.wechat_retry_base_s * 2 ** max(tries - 1, 0), _MAX_DELAY_S)
            log.warning("push of %s (try %d) waits %.0f s: %s", notification_id, tries, delay, exc)
            raise RetryLater(delay) from exc
        log.error("push of %s given up after %d tries: %s", notification_id, tries, exc)
        await write(lambda s: _settle(s, notification_id, "gave_up"))
        return "gave_up"
    except wechat.WechatError as exc:
        log.warning("push of %s refused by WeChat (%s): %s", notification_id, exc.errcode, exc)
        refusal = f"refused {exc.errcode}"
        await write(lambda s: _settle(s, notification_id, refusal))
        return "refused"
    await write(lambda s: _settle(s, notification_id, None))
    return "sent"
