"""The console in Debian's Chromium: logging in by keyboard alone, at 1280×800, with no axe-core
violation on the login page or the first page after it."""

from __future__ import annotations

from typing import Any

from infra.services import Services
from tests.console.harness import audit, shot
from tests.factories import PASSWORD, person


async def test_a_reviewer_logs_in_with_the_keyboard_alone(page: Any, services: Services) -> None:
    political = await person(services, "political_reviewer")
    await page.goto("/console/review")
    assert "/console/login" in page.url  # sent to log in, and back afterwards
    assert await audit(page) == []
    await shot(page, "login")
    # The username field has the focus when the page opens.
    await page.wait_for_function("() => document.activeElement?.id === 'username'")
    await page.keyboard.type(political.username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/console/review")
    assert political.username in await page.locator("header .who").inner_text()
    assert await audit(page) == []
