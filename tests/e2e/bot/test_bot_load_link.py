"""End to end: /article load url: through the sandbox, pages on the local web server. The same
preview and Confirm/Cancel as a file; loading the link again revises the article."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forumbot.bot.client import ForumBot
from forumbot.config import Settings
from forumbot.sandbox import DemoGuild, Sandbox
from tests.e2e.bot.test_bot_load_admin import buttons, titles
from tests.fixtures.bot import make_bot_settings
from tests.fixtures.webserver import WebServer, page_html


@pytest.fixture
def bot_settings(sqlite_url: str, tmp_path: Path, webserver: WebServer) -> Settings:
    return make_bot_settings(sqlite_url, tmp_path, fetch_allow_hosts=webserver.allow)


async def load_link(
    sandbox: Sandbox, guild: DemoGuild, url: str, **options: object
) -> dict[str, Any]:
    handle = await sandbox.invoke_command(
        guild.admin_id, guild.general_id, "article load", {"url": url, **options}
    )
    return await handle.message(timeout=30)


async def test_load_link_previews_confirms_and_revises(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild, webserver: WebServer
) -> None:
    url = webserver.url("/post")
    webserver.page("/post", page_html("A page on the web", ["Its first passage.", "Second."]))
    preview = await load_link(sandbox, configured, url, publish=True)
    shown = str(preview.get("embeds"))
    assert "A page on the web" in shown and "creates a new article" in shown
    assert await titles(bot, configured) == [], "nothing is stored before Confirm"
    confirm = await sandbox.click(configured.admin_id, preview, buttons(preview)["Confirm"])
    await confirm.response()
    await sandbox.wait_until(
        lambda: "Published" in (sandbox.world.messages[preview["id"]]["content"] or ""),
        what="the publish line",
    )
    (info,) = await bot.services.archive.list_articles(guild_id=int(configured.guild_id))
    assert info.source == url
    # The page changes; loading the link again previews a revision of the same article.
    webserver.page("/post", page_html("A page on the web", ["Its first passage.", "Changed."]))
    again = await load_link(sandbox, configured, url)
    assert f"revises #{info.id}" in str(again.get("embeds"))
    confirm = await sandbox.click(configured.admin_id, again, buttons(again)["Confirm"])
    await confirm.response()
    await sandbox.wait_until(
        lambda: "Revised" in (sandbox.world.messages[again["id"]]["content"] or ""),
        what="the revision line",
    )
    assert len(await bot.services.archive.list_articles(guild_id=int(configured.guild_id))) == 1
    assert len(sandbox.threads(configured.forum_id)) == 1
    sandbox.assert_no_violations()


async def test_bad_links_get_one_line_and_store_nothing(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild, webserver: WebServer
) -> None:
    cases = {
        webserver.url("/status/404"): "HTTP 404",
        webserver.url("/redirect?to=http://169.254.169.254/"): "link-local",
        "file:///etc/passwd": "Only http",
    }
    for url, expected in cases.items():
        message = await load_link(sandbox, configured, url)
        assert message["flags"] & 64
        assert expected in message["content"], message["content"]
    handle = await sandbox.invoke_command(
        configured.admin_id, configured.general_id, "article load", {}
    )
    assert "either a file or a url" in await handle.text()
    assert await titles(bot, configured) == []
