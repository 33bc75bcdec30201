"""End to end: admins undo (delete an article from Discord or the CLI), through the sandbox on
the seed articles (realistic sizes: essays of 20-60 passages, real threads)."""

from __future__ import annotations

from typing import Any

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox
from tests.fixtures.bot import BotRunner


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        c.get("label"): c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
    }


async def thread_of(bot: ForumBot, guild_id: str, article_id: int) -> str:
    pub = await bot.services.publishing.publication(int(guild_id), article_id)
    assert pub is not None and pub.thread_id is not None
    return str(pub.thread_id)


async def test_delete_from_discord_confirms_closes_the_post_and_cites_removed(
    bot: ForumBot, sandbox: Sandbox, configured: DemoGuild, published: list[int]
) -> None:
    demo = configured
    article_id = published[2]
    info = await bot.services.archive.resolve_article(str(article_id))
    thread_id = await thread_of(bot, demo.guild_id, article_id)
    # A member's search result with a Share button for this article, from before the deletion.
    word = next(w for w in info.title.split() if len(w) > 4)
    found = await sandbox.invoke_command(
        demo.alice_id,
        demo.general_id,
        "search",
        {"query": word, "article": str(article_id)},
    )
    results = await found.message()
    share = next(v for k, v in buttons(results).items() if k and k.startswith("Share"))

    refused = await sandbox.invoke_command(
        demo.bob_id, demo.general_id, "article delete", {"article": str(article_id)}
    )
    assert "Manage Server" in await refused.text()

    handle = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "article delete", {"article": str(article_id)}
    )
    ask = await handle.message()
    text = await handle.text()
    assert ask["flags"] & 64
    assert f"Delete #{article_id}" in text and f"{info.passages} passages" in text
    assert f"<#{thread_id}>" in text and "archived and locked" in text
    other = await sandbox.click(demo.alice_id, ask, buttons(ask)["Delete"])
    assert "Only the person" in (await other.message())["content"]
    assert (await bot.services.archive.resolve_article(str(article_id))).id == article_id

    confirm = await sandbox.click(demo.admin_id, ask, buttons(ask)["Delete"])
    await confirm.response()
    await sandbox.wait_until(
        lambda: "Deleted" in (sandbox.world.messages[ask["id"]]["content"] or ""),
        what="the deletion answer",
    )
    assert "archived with a notice" in sandbox.world.messages[ask["id"]]["content"]
    thread = sandbox.channel(thread_id)
    assert thread["thread_metadata"]["archived"] and thread["thread_metadata"]["locked"]
    notice = sandbox.messages(thread_id)[-1]
    assert "Removed from the archive" in notice["content"]
    assert not any(sandbox.pings(notice).values())

    cite = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": str(article_id), "passage": "1"}
    )
    assert "was removed" in await cite.text()
    shared = await sandbox.click(demo.alice_id, results, share)
    assert "was removed" in (await shared.message())["content"]
    again = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "article delete", {"article": str(article_id)}
    )
    assert "was removed" in await again.text()
    trail = await bot.services.removal.audit()
    assert trail[0].article_id == article_id and str(demo.admin_id) in trail[0].actor
    sandbox.assert_no_violations()


async def test_cli_deletion_is_carried_out_in_the_forum_at_the_next_start(
    bot_runner: BotRunner,
    bot: ForumBot,
    sandbox: Sandbox,
    configured: DemoGuild,
    published: list[int],
) -> None:
    demo = configured
    article_id = published[0]
    thread_id = await thread_of(bot, demo.guild_id, article_id)
    await bot.close()
    async with bot_runner.services() as services:  # as `forumbot delete` does: no Discord
        await services.removal.delete(article_id, actor="cli:ada")
    assert not sandbox.channel(thread_id)["thread_metadata"]["archived"]
    async with bot_runner.running():
        await sandbox.wait_until(
            lambda: sandbox.channel(thread_id)["thread_metadata"]["locked"],
            what="the removed article's post locked",
        )
    notices = [m for m in sandbox.messages(thread_id) if "Removed from the archive" in m["content"]]
    assert len(notices) == 1
    async with bot_runner.running():  # a second start does not post it again
        pass
    notices = [m for m in sandbox.messages(thread_id) if "Removed from the archive" in m["content"]]
    assert len(notices) == 1
    sandbox.assert_no_violations()
