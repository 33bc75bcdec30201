"""The dashboard in a real browser: headless Chromium from the Debian package, driven by
Playwright's Python API with the system browser (no browser download). Without the browser the
tests skip with the reason; under CI=true they fail instead. Every page is screenshotted into
test-output/web/ (FORUMBOT_TEST_OUTPUT overrides the folder) for a person to look at."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from forumbot.sandbox import Sandbox
from tests.e2e.moderation.support import article_thread
from tests.e2e.web.support import Dashboard

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("FORUMBOT_CHROMIUM", "/usr/bin/chromium"))
SHOTS = Path(os.environ.get("FORUMBOT_TEST_OUTPUT", REPO / "test-output")) / "web"
PHONE = {"width": 390, "height": 844}


def _missing_browser() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or `make test` as root)"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    reason = _missing_browser()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()


async def signed_in(browser: Any, dashboard: Dashboard, name: str, **context: Any) -> Any:
    """A page signed in through the sandbox's OAuth2 page, as a person would click it."""
    page = await (await browser.new_context(**context)).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    page.dialogs = dialogs  # any script that ran would have opened one
    await page.goto(dashboard.url + "/")
    await page.click("#signin")
    await page.wait_for_url(re.compile(r"/oauth2/authorize"))
    await page.click(f"#as-{name}")
    await page.wait_for_url(dashboard.url + "/")
    return page


async def shot(page: Any, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_moderator_signs_in_and_approves_a_held_comment(
    browser: Any, dashboard: Dashboard, sandbox: Sandbox
) -> None:
    demo = dashboard.demo
    thread = await article_thread(sandbox, demo)
    text = "honestly you absolute muppet, read chapter 3"
    msg = await sandbox.send_message(demo.alice_id, thread, text)
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    page = await signed_in(browser, dashboard, "moderator")
    await shot(page, "home")
    await page.goto(dashboard.guild + "/queue")
    item = page.locator(".queue-item").first
    assert "muppet" in await item.inner_text()
    await shot(page, "queue")
    await item.locator("input[name=reason]").fill("friendly banter")
    await item.locator("button[value=approve]").click()
    await page.wait_for_selector(".msg")
    assert "decided: approve" in await page.locator(".msg").inner_text()
    await shot(page, "queue-after-approve")
    restored = [m for m in sandbox.messages(thread) if m["content"] == text]
    assert len(restored) == 1 and restored[0]["author"]["id"] == demo.bot_id


async def test_plain_member_gets_403_on_every_moderation_page_and_form(
    browser: Any, dashboard: Dashboard
) -> None:
    page = await signed_in(browser, dashboard, "alice")
    gid = dashboard.demo.guild_id
    pages = (
        "queue",
        "cases",
        "cases.csv",
        "cases.json",
        "activity",
        "rules",
        "rules/default.yaml",
        "settings",
        "archive/upload",
        f"members/{dashboard.demo.bob_id}",
    )
    for path in pages:
        response = await page.goto(f"{dashboard.guild}/{path}")
        assert response.status == 403, path
    await shot(page, "member-403")
    await page.goto(dashboard.guild)
    csrf = await page.locator("input[name=csrf]").first.input_value()
    forms = (
        "queue/1",
        "rules",
        "rules/mode",
        "settings",
        "archive/upload",
        "archive/confirm",
        "articles/1/publish",
    )
    for path in forms:
        response = await page.request.post(
            f"{dashboard.guild}/{path}",
            form={"csrf": csrf, "action": "approve", "reason": "x", "overrides": "", "rule": "x"},
        )
        assert response.status == 403, path
    assert await dashboard.context.moderation.rules.changes(int(gid)) == []
    # Her own page shows; the moderation links are not offered to her.
    await page.goto(f"{dashboard.guild}/members/{dashboard.demo.alice_id}")
    assert await page.locator("a[href$='/queue']").count() == 0
    await shot(page, "member-own-record")


async def test_post_without_csrf_token_is_refused(browser: Any, dashboard: Dashboard) -> None:
    page = await signed_in(browser, dashboard, "admin")
    response = await page.request.post(
        dashboard.guild + "/rules", form={"overrides": "", "reason": "r", "action": "save"}
    )
    assert response.status == 403
    assert "did not come from this dashboard" in await response.text()
    assert await dashboard.context.moderation.rules.changes(int(dashboard.demo.guild_id)) == []


async def test_rule_edit_with_an_error_shows_it_and_changes_nothing(
    browser: Any, dashboard: Dashboard
) -> None:
    page = await signed_in(browser, dashboard, "admin")
    await page.goto(dashboard.guild + "/rules")
    await page.fill("#overrides", "rules:\n  - id: threats-of-violence\n    severity: banana\n")
    await page.fill("form input[name=reason]", "tuning")
    await page.click("button[value=save]")
    problems = await page.locator("#problems .problem").all_inner_texts()
    assert len(problems) == 1 and problems[0].startswith("threats-of-violence:")
    assert "field 'severity': must be an integer" in problems[0]
    assert "banana" in await page.input_value("#overrides")
    await shot(page, "rules-error")
    gid = int(dashboard.demo.guild_id)
    assert await dashboard.context.moderation.rules.changes(gid) == []
    assert await dashboard.context.moderation.rules.overrides(gid) == ""


async def test_backtest_shows_its_chart(
    browser: Any, dashboard: Dashboard, load_articles: Any, tmp_path: Path
) -> None:
    source = tmp_path / "letters.md"
    source.write_text(
        '---\ntitle: "Letters"\n---\nYou absolute muppet, read chapter 3 again.\n\n'
        "Shut up, you idiot.\n\nA calm passage about the harvest.\n",
        encoding="utf-8",
    )
    await load_articles(source)
    page = await signed_in(browser, dashboard, "admin")
    await page.goto(dashboard.guild + "/rules")
    await page.click("button[value=backtest]")
    chart = page.locator("#backtest svg.chart")
    await chart.wait_for()
    assert (await chart.bounding_box())["width"] > 100
    # Bars (and their legend) for the rules that would have acted on the letters.
    assert await chart.locator("rect[fill]").count() > 1
    assert "would" in await page.locator("#backtest li").first.inner_text()
    await shot(page, "rules-backtest")


async def test_article_with_script_in_its_title_renders_as_text(
    browser: Any, dashboard: Dashboard, load_articles: Any, tmp_path: Path
) -> None:
    title = "<script>alert('x')</script> On <b>bold</b> claims"
    source = tmp_path / "evil.md"
    source.write_text(
        f'---\ntitle: "{title}"\nauthor: "<img src=x onerror=alert(1)>"\n---\n'
        "A first passage that says <script>alert(2)</script> in its text.\n\n"
        "A second passage about working class history.\n",
        encoding="utf-8",
    )
    [article_id] = await load_articles(source)
    page = await signed_in(browser, dashboard, "alice")
    await page.goto(f"{dashboard.guild}/articles/{article_id}")
    assert await page.locator("#title").inner_text() == title
    assert await page.locator("main script, main img, #title b").count() == 0
    await page.goto(f"{dashboard.guild}/archive?q=working+class")
    await shot(page, "archive-search")
    await page.goto(f"{dashboard.guild}/archive")
    assert title in await page.locator("main").inner_text()
    await shot(page, "archive-list")
    assert page.dialogs == []


async def test_every_page_renders_for_an_admin_on_a_desktop_and_a_phone(
    browser: Any, dashboard: Dashboard, load_articles: Any, sandbox: Sandbox
) -> None:
    demo = dashboard.demo
    [article_id, *_] = await load_articles(REPO / "seeds")
    thread = await article_thread(sandbox, demo)
    msg = await sandbox.send_message(demo.alice_id, thread, "you absolute muppet")
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    [case] = await dashboard.context.casebook.cases(int(demo.guild_id), _filter(), limit=1)
    pages = {
        "guild": "",
        "cases": "/cases",
        "case": f"/cases/{case.id}",
        "member": f"/members/{demo.alice_id}",
        "activity": "/activity",
        "settings": "/settings",
        "rules": "/rules",
        "article": f"/articles/{article_id}",
    }
    for device, options in (("desktop", {}), ("phone", {"viewport": PHONE})):
        page = await signed_in(browser, dashboard, "admin", **options)
        for name, path in pages.items():
            response = await page.goto(dashboard.guild + path)
            assert response.status == 200, (device, name)
            await shot(page, f"{device}-{name}")
        if device == "phone":
            # Nothing wider than the phone's screen but the scrolling tables.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"] + 1


def _filter() -> Any:
    from forumbot.services.moderation.casebook import CaseFilter

    return CaseFilter(kind="hold")


async def test_upload_previews_then_confirm_stores_and_publishes(
    browser: Any, dashboard: Dashboard, sandbox: Sandbox, tmp_path: Path
) -> None:
    source = tmp_path / "harvest.md"
    source.write_text(
        '---\ntitle: "The <i>harvest</i> of 1932"\nauthor: Ana\n---\n'
        "The first passage of the harvest essay.\n\nThe second passage.\n",
        encoding="utf-8",
    )
    page = await signed_in(browser, dashboard, "admin")
    await page.goto(dashboard.guild + "/archive/upload")
    await shot(page, "upload")
    await page.set_input_files("input[type=file]", str(source))
    await page.click("button.primary")
    preview = page.locator(".preview-article")
    assert "The <i>harvest</i> of 1932" in await preview.locator("h2").inner_text()
    assert "2 passages" in await preview.inner_text()
    await shot(page, "upload-preview")
    assert (
        await dashboard.context.archive.list_articles(guild_id=int(dashboard.demo.guild_id)) == []
    )  # nothing before Confirm
    await page.check("input[name=publish]")
    await page.click("#confirm")
    await page.wait_for_selector("#post-link")
    assert await page.locator("#title").inner_text() == "The <i>harvest</i> of 1932"
    await shot(page, "upload-published")
    threads = sandbox.threads(dashboard.demo.forum_id)
    assert any("harvest" in t["name"] for t in threads)
    # A stable link per passage.
    await page.click("a.num[href='#p2']")
    assert page.url.endswith("#p2")
