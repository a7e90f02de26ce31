"""How the console says something went wrong: as a page or, after a form, as a message on the
page the form came from — never as a problem document."""

from __future__ import annotations

from infra.services import Services
from tests.console.harness import Console
from tests.factories import person


async def test_a_form_too_large_is_refused_on_the_page_it_came_from(
    console: Console, services: Services
) -> None:
    operator = await person(services, "admin")
    await console.login(operator)
    limit = services.settings.max_request_bytes
    page = "/console/screening/import"
    resp = await console.post(
        page,
        files={"file": ("terms.csv", b"x" * (limit + 1), "text/csv")},
        referer=page,
    )
    assert resp.status_code == 303 and resp.headers["location"] == page
    assert resp.headers["x-console-error"] == "413 request.too_large"
    shown = await console.get(page)
    assert f"提交的内容太大：上限 {limit / 1024 / 1024:.0f} MiB" in shown.text


async def test_an_unknown_page_is_a_page_not_a_problem(
    console: Console, services: Services
) -> None:
    political = await person(services, "political_reviewer")
    await console.login(political)
    resp = await console.get("/console/no-such-page")
    assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/html")
    assert "找不到页面或内容" in resp.text
