"""The users and roles pages in Debian's Chromium: an operator creates a science reviewer by
keyboard, finds them, disables them — and the reviewer's open console is sent to log in on its
next click — enables them again and sets a new password they then log in with."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from infra.services import Services
from tests.console.harness import audit, log_in, shot, tab_to
from tests.factories import PASSWORD, person

FIRST_PASSWORD = "violet tractor harbour lantern"
SECOND_PASSWORD = "copper meadow whistle glacier"


async def test_an_operator_manages_a_reviewer_by_keyboard(
    page: Any, tabs: Callable[[], Awaitable[Any]], services: Services
) -> None:
    admin = await person(services, "admin")
    await log_in(page, admin.username, PASSWORD)
    username = f"sci-{secrets.token_hex(3)}"

    # Create a science reviewer with a discipline, keyboard only.
    await page.goto("/console/users")
    await page.keyboard.press("Tab")  # the skip link first
    await tab_to(page, "a[href='/console/users/new']")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/console/users/new")
    assert await audit(page) == []
    await page.keyboard.type(username)  # the username field has the focus
    await page.keyboard.press("Tab")
    await page.keyboard.type("王科学 <b>审核</b>")
    await page.keyboard.press("Tab")
    await page.keyboard.type(FIRST_PASSWORD)
    await tab_to(page, "#role-science_reviewer")
    await page.keyboard.press("Space")
    await tab_to(page, "#disc-medicine")
    await page.keyboard.press("Space")
    await tab_to(page, "button[type=submit].primary")
    await shot(page, "users-new")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/console/users/[0-9a-z]{26}$"))
    detail_url = page.url
    assert f"已创建账号 {username}" in await page.locator(".message").inner_text()

    # The reviewer logs in, in a browser of their own.
    reviewer = await tabs()
    await log_in(reviewer, username, FIRST_PASSWORD)
    assert reviewer.url.endswith("/console/review")

    # Find them in the list.
    await page.goto("/console/users")
    await page.focus("#q")
    await page.keyboard.type(username)
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/console/users\?q=.*"))
    row = page.locator("table.users tbody tr", has_text=username)
    await row.wait_for()
    assert "科学审核员" in await row.inner_text() and "医学" in await row.inner_text()
    assert "<b>" in await row.inner_text()  # the display name's markup is text
    assert await audit(page) == []
    await shot(page, "users-list")
    await row.get_by_role("link", name=username).click()
    await page.wait_for_url(detail_url)
    assert await audit(page) == []
    await shot(page, "user-detail")

    # Disable: the reviewer's next click leads to the login page.
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="停用账号").click()
    await page.wait_for_selector("text=已停用：该账号的控制台会话")
    await reviewer.get_by_role("link", name="审核队列").click()
    await reviewer.wait_for_url("**/console/login**")
    assert "登录已过期" in await reviewer.locator(".message").inner_text()

    # Enable again, then a new password: the reviewer logs in with it.
    await page.get_by_role("button", name="重新启用").click()
    await page.wait_for_selector("text=已重新启用")
    await page.fill("#new-password", SECOND_PASSWORD)
    await page.fill("#new-password-again", SECOND_PASSWORD)
    await page.get_by_role("button", name="设置新密码").click()
    await page.wait_for_selector("text=已设置新密码")
    assert await audit(page) == []
    await log_in(reviewer, username, SECOND_PASSWORD)
    assert reviewer.url.endswith("/console/review")
