"""Operators keep the screening lists in the console: terms (searched, paged), claim patterns and
rumors (add, remove) and CSV imports, through the services the admin API calls. A change applies
to the next screening at once; bad input is refused with a readable message and writes nothing;
a form sent twice adds one row."""

from __future__ import annotations

import re
import secrets
from urllib.parse import unquote

import httpx
import pytest
from sqlmodel import col, select

from content import screening
from content.models import ClaimPattern, Rumor, ScreeningTerm
from infra.services import Services
from tests import factories as f
from tests.console import screening_forms as sf
from tests.console.harness import Console, queries
from tests.factories import person

# --- terms


async def test_terms_are_searched_and_paged_at_a_fixed_cost(
    console: Console, services: Services
) -> None:
    mark = "页" + secrets.token_hex(3)
    async with services.write_sessions() as session:
        for i in range(55):
            await screening.add_term(session, f"{mark}词{i:02d}", "paging", "info")
        await session.commit()
    await sf.operator(console, services)
    with queries(services) as seen:
        first = await console.get(f"/console/screening?q={mark}")
    assert first.status_code == 200
    assert len(seen) <= 5, seen
    listed = re.findall(rf"{mark}词(\d\d)</th>", first.text)
    assert len(listed) == 50 and listed[0] == "54"  # the newest first
    more = re.search(r'href="(/console/screening\?[^"]+)" rel="next"', first.text)
    assert more
    with queries(services) as seen_next:
        second = await console.get(more.group(1).replace("&amp;", "&"))
    assert len(seen_next) == len(seen)  # as many statements, whatever the page holds
    assert re.findall(rf"{mark}词(\d\d)</th>", second.text) == ["04", "03", "02", "01", "00"]
    assert 'rel="next"' not in second.text and "回到第一页" in second.text
    # Searched as screening matches: case and width folded, or by category.
    upper = await console.get(f"/console/screening?q={mark.upper()}词００")
    assert re.findall(rf"{mark}词(\d\d)</th>", upper.text) == ["00"]
    nothing = await console.get("/console/screening?q=" + "无此词" + secrets.token_hex(4))
    assert "没有包含" in nothing.text


async def test_a_term_added_in_the_console_screens_the_next_submission(
    console: Console, services: Services, client: httpx.AsyncClient
) -> None:
    word = "假药" + secrets.token_hex(3)
    async with services.read_sessions() as session:
        before = await screening.current_screener(session)
    assert not before.scan({"body": f"这家店出售{word}。"})
    await sf.operator(console, services)
    resp = await sf.add(console, "terms", {"term": word, "category": "fraud", "severity": "block"})
    page = await sf.after(console, resp)
    assert f"已添加词条「{word}」" in sf.message(page)
    assert f">{word}</th>" in page
    # The screener every process uses follows the dictionary's version: no restart.
    async with services.read_sessions() as session:
        after = await screening.current_screener(session)
    [finding] = after.scan({"body": f"这家店出售{word}。"})
    assert finding.excerpt == word and finding.check == screening.Check.dictionary
    creator = await person(services, "creator")
    judged = await f.screened(client, creator, summary=f"本文揭露{word}的骗局")
    assert any(x["excerpt"] == word for x in judged["findings"])


async def test_a_term_is_removed_after_confirmation_and_no_longer_matches(
    console: Console, services: Services
) -> None:
    word = "删除词" + secrets.token_hex(3)
    async with services.write_sessions() as session:
        term = await screening.add_term(session, word, "test", "warn")
        await session.commit()
    await sf.operator(console, services)
    page = await console.get(f"/console/screening?q={word}")
    assert f'data-confirm="确定删除词条「{word}」' in page.text
    resp = await console.post(
        f"/console/screening/terms/{term.id}/delete", referer=f"/console/screening?q={word}"
    )
    assert unquote(resp.headers["location"]) == f"/console/screening?q={word}"  # where it was
    assert "已删除词条" in sf.message(await sf.after(console, resp))
    assert await sf.count(services, ScreeningTerm, col(ScreeningTerm.id) == term.id) == 0
    async with services.read_sessions() as session:
        assert not (await screening.current_screener(session)).scan({"body": word})
    again = await console.post(f"/console/screening/terms/{term.id}/delete")
    assert again.headers["x-console-error"] == "404 term.not_found"
    assert "找不到该词条" in sf.message(await sf.after(console, again))


async def test_bad_terms_are_refused_readably_and_nothing_is_written(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    category = "bad" + secrets.token_hex(3)
    for term, error, text in (
        ("", "422 term.length", "词条长度不符合要求"),
        ("长" * 101, "422 term.length", "1–100 characters"),
        ("长" * 201, "422 validation_error", "term：太长"),
        ("！？。", "422 term.nothing_to_match", "词条去掉标点和空格后为空"),
    ):
        resp = await sf.add(
            console, "terms", {"term": term, "category": category, "severity": "warn"}
        )
        assert resp.headers["x-console-error"] == error, term
        assert resp.headers["location"] == "/console/screening"
        assert text in sf.message(await sf.after(console, resp)), term
    resp = await sf.add(
        console,
        "terms",
        {"term": "空分类" + secrets.token_hex(2), "category": "", "severity": "warn"},
    )
    assert resp.headers["x-console-error"] == "422 term.category"
    assert await sf.count(services, ScreeningTerm, col(ScreeningTerm.category) == category) == 0


async def test_a_duplicate_term_is_refused_and_html_in_a_term_is_shown_as_text(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    word = f"<script>alert('{secrets.token_hex(3)}')</script>"
    for attempt in range(2):
        resp = await sf.add(console, "terms", {"term": word, "category": "xss", "severity": "info"})
        page = await sf.after(console, resp)
        if attempt:
            assert resp.headers["x-console-error"] == "409 term.exists"
            assert "该词条已存在" in sf.message(page)
    assert word not in page  # never as markup: in the message, the list and the confirmation
    assert "&lt;script&gt;alert(" in page
    assert await sf.count(services, ScreeningTerm, col(ScreeningTerm.term) == word) == 1


async def test_an_add_form_sent_twice_adds_one_row(console: Console, services: Services) -> None:
    await sf.operator(console, services)
    word = "双击" + secrets.token_hex(3)
    once = await sf.form_token(console, "/console/screening")
    form = {"once": once, "term": word, "category": "test", "severity": "warn"}
    first = await console.post("/console/screening/terms", form)
    second = await console.post("/console/screening/terms", form)
    assert first.status_code == second.status_code == 303
    assert "已经提交过" in sf.message(await sf.after(console, second))
    assert await sf.count(services, ScreeningTerm, col(ScreeningTerm.term) == word) == 1
    # Rumors have no unique key of their own: the form's token is what keeps them single.
    claim = f"喝{secrets.token_hex(2)}水能治百病"
    once = await sf.form_token(console, "/console/screening/rumors")
    rumor = {"once": once, "claim": claim, "truth": "没有依据。", "keywords": "喝水;治百病"}
    for _ in range(2):
        await console.post("/console/screening/rumors", rumor)
    assert await sf.count(services, Rumor, col(Rumor.claim) == claim) == 1
    # A refused form may be corrected and sent again with the same token.
    once = await sf.form_token(console, "/console/screening")
    bad = await console.post(
        "/console/screening/terms", {"once": once, "term": "", "category": "x", "severity": "warn"}
    )
    assert bad.headers["x-console-error"] == "422 term.length"
    word2 = word + "再"
    fixed = {"once": once, "term": word2, "category": "test", "severity": "warn"}
    assert "已添加" in sf.message(await sf.after(console, await console.post(
        "/console/screening/terms", fixed)))  # fmt: skip


# --- claim patterns


async def test_a_claim_pattern_is_added_listed_and_removed(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    pattern = f"喝[{secrets.token_hex(2)}|神水]…治愈"
    resp = await sf.add(
        console,
        "claims",
        {
            "family": "miracle_water",
            "pattern": pattern,
            "severity": "block",
            "message": "这是在宣称某种水能治病，请删除。",
        },
    )
    with queries(services) as seen:
        page = await sf.after(console, resp)
    assert len(seen) <= 5, seen
    assert "已添加宣称模式" in sf.message(page) and f"<code>{pattern}</code>" in page
    async with services.read_sessions() as session:
        row = (
            await session.exec(select(ClaimPattern).where(ClaimPattern.pattern == pattern))
        ).one()
        findings = (await screening.current_screener(session)).scan(
            {"body": "每天喝神水能治愈癌症"}
        )
    assert any(x.check == screening.Check.health_claim and x.excerpt for x in findings)
    await sf.removed(console, services, ClaimPattern, row.id, "已删除宣称模式")


async def test_a_bad_claim_pattern_says_what_is_wrong_and_writes_nothing(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    family = "bad" + secrets.token_hex(3)
    for pattern, code, says in (
        ("停[用|服药", "claim.pattern_syntax", "a [ is never closed by ]"),
        ("…停药", "claim.pattern_syntax", "neither starts nor ends with a gap"),
        ("药", "claim.pattern_too_broad", "至少需要一段两个字以上的固定词语"),
    ):
        resp = await sf.add(
            console, "claims", {"family": family, "pattern": pattern, "message": "提示"}
        )
        assert resp.headers["x-console-error"] == f"422 {code}"
        message = sf.message(await sf.after(console, resp))
        assert says in message and "pattern" in message, message
    assert await sf.count(services, ClaimPattern, col(ClaimPattern.family) == family) == 0


# --- rumors


async def test_a_rumor_is_added_listed_and_removed(console: Console, services: Services) -> None:
    await sf.operator(console, services)
    tag = secrets.token_hex(3)
    claim = f"吃{tag}果可以预防流感"
    resp = await sf.add(
        console,
        "rumors",
        {
            "claim": claim,
            "truth": "没有任何研究表明这种水果可以预防流感。<b>接种疫苗</b>才有效。",
            "keywords": f"{tag}果\n流感|感冒",
            "source": "中国疾病预防控制中心",
        },
    )
    with queries(services) as seen:
        page = await sf.after(console, resp)
    assert len(seen) <= 5, seen
    assert "已添加谣言条目" in sf.message(page)
    assert f">{claim}</th>" in page and "&lt;b&gt;接种疫苗" in page
    async with services.read_sessions() as session:
        rumor = (await session.exec(select(Rumor).where(Rumor.claim == claim))).one()
        assert rumor.keywords == [f"{tag}果", "流感|感冒"]
        findings = (await screening.current_screener(session)).scan(
            {"body": f"听说多吃{tag}果就不会得流感了"}
        )
    assert any(x.check == screening.Check.rumor for x in findings)
    await sf.removed(console, services, Rumor, rumor.id, "已删除谣言条目")


async def test_a_rumor_without_enough_words_is_refused(
    console: Console, services: Services
) -> None:
    await sf.operator(console, services)
    for form, error in (
        ({"claim": "防癌", "truth": "没有依据"}, "422 rumor.no_keywords"),
        ({"claim": "", "truth": "没有依据"}, "422 rumor.claim"),
        ({"claim": "吃蒜防癌", "truth": "", "keywords": "蒜;防癌"}, "422 rumor.truth"),
    ):
        resp = await sf.add(console, "rumors", form)
        assert resp.headers["x-console-error"] == error


# --- a refused form comes back filled


REFUSED = {
    # Each list's add form, refused: what was typed (HTML in it), the refusal, and how the
    # page shows it back.
    "terms": (
        {"term": "！？。<b>", "category": "<i>分类</i>", "severity": "block", "pinyin": "true"},
        "422 term.pinyin_too_short",
        [
            'value="！？。&lt;b&gt;">',
            'value="&lt;i&gt;分类&lt;/i&gt;">',
            '<option value="block" selected>',
            'value="true" checked',
        ],
    ),
    "claims": (
        {
            "family": "<i>类别</i>",
            "pattern": "停[用|服药",
            "severity": "info",
            "message": "请<b>删除</b>",
        },
        "422 claim.pattern_syntax",
        [
            'value="停[用|服药">',
            'value="&lt;i&gt;类别&lt;/i&gt;">',
            '<option value="info" selected>',
            ">请&lt;b&gt;删除&lt;/b&gt;</textarea>",
        ],
    ),
    "rumors": (
        {
            "claim": "",
            "truth": "没有<b>依据</b>",
            "keywords": "蒜\n防癌",
            "source": "<i>卫健委</i>",
        },
        "422 rumor.claim",
        [
            ">没有&lt;b&gt;依据&lt;/b&gt;</textarea>",
            ">蒜\n防癌</textarea>",
            'value="&lt;i&gt;卫健委&lt;/i&gt;">',
        ],
    ),
}


@pytest.mark.parametrize("kind", REFUSED)
async def test_a_refused_add_form_comes_back_filled_once(
    console: Console, services: Services, kind: str
) -> None:
    await sf.operator(console, services)
    typed, error, shown = REFUSED[kind]
    once = await sf.form_token(console, sf.PAGES[kind])
    resp = await console.post(
        f"/console/screening/{kind}", {"once": once, **typed}, referer=sf.PAGES[kind]
    )
    assert resp.headers["x-console-error"] == error
    assert resp.headers["location"] == sf.PAGES[kind]
    page = await sf.after(console, resp)
    for html in shown:
        assert html in page, html
    main = page.split("<main", 1)[1]
    assert "<b>" not in main and "<i>" not in main  # what was typed is text
    assert sf.once_of(page) != once  # the one-time token is never kept: a fresh form, a fresh one
    # Only once: the page opened again shows the form empty, the default severity chosen.
    again = (await console.get(sf.PAGES[kind])).text
    for html in shown:
        assert html not in again, html
    if kind != "rumors":
        assert '<option value="warn" selected>' in again
