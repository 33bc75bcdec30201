"""End to end with two guilds: what one guild's admin loads is that guild's alone; both guilds
see the operator's shared library (until the operator limits it)."""

from __future__ import annotations

from typing import Any

from forumbot.sandbox import DemoGuild, Sandbox, SandboxFile
from tests.fixtures.bot import SEEDS_DIR, BotRunner, LoadArticles, run_setup

OWN = (
    b"---\ntitle: Quince Orchard Minutes\nauthor: Grace\n---\n\n"
    b"The orchard committee agreed to prune the quince trees before the frost.\n\n"
    b"Marmalade from the windfalls will be sold at the spring fair.\n"
)
SHARED_FILE = sorted(SEEDS_DIR.iterdir())[0]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        c.get("label"): c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
    }


async def text_of(sandbox: Sandbox, guild: DemoGuild, command: str, options: Any) -> str:
    handle = await sandbox.invoke_command(guild.alice_id, guild.general_id, command, options)
    return await handle.text()


async def test_each_guild_sees_its_own_library_and_the_shared_one(
    sandbox: Sandbox, demo: DemoGuild, bot_runner: BotRunner, load_articles: LoadArticles
) -> None:
    first = demo
    second = sandbox.create_demo_guild("Second Server")
    [shared_id] = await load_articles(SHARED_FILE)  # the command line: the shared library
    async with bot_runner.running() as bot:
        for guild in (first, second):
            assert "Set up" in await run_setup(sandbox, guild)

        # The first guild's admin loads (and publishes) a file in Discord.
        handle = await sandbox.invoke_command(
            first.admin_id,
            first.general_id,
            "article load",
            {"file": SandboxFile("minutes.md", OWN), "publish": True},
        )
        preview = await handle.message()
        confirm = await sandbox.click(first.admin_id, preview, buttons(preview)["Confirm"])
        await confirm.response()
        await sandbox.wait_until(
            lambda: "Published" in (sandbox.world.messages[preview["id"]]["content"] or ""),
            what="the publish line",
        )
        own = await bot.services.archive.resolve_article(
            "Quince Orchard Minutes", guild_id=int(first.guild_id)
        )
        # It is in the first guild's library, not the shared one.
        assert own.id not in {a.id for a in await bot.services.archive.list_articles()}

        # The first guild finds, completes and cites it.
        assert "quince" in (await text_of(sandbox, first, "search", {"query": "quince"})).lower()
        choices = await (
            await sandbox.autocomplete(
                first.alice_id, first.general_id, "cite", {"article": "Quince"}, focused="article"
            )
        ).choices()
        assert [c["value"] for c in choices] == [str(own.id)]
        cited = await text_of(sandbox, first, "cite", {"article": str(own.id), "passage": "1"})
        assert "quince" in cited.lower()

        # The second guild sees none of it: search, autocomplete, cite, show, publish, find.
        assert "No passages match" in await text_of(
            sandbox, second, "search", {"query": "quince marmalade"}
        )
        choices = await (
            await sandbox.autocomplete(
                second.alice_id, second.general_id, "cite", {"article": "Quince"}, focused="article"
            )
        ).choices()
        assert choices == []
        for command, options in (
            ("cite", {"article": str(own.id), "passage": "1"}),
            ("article show", {"article": str(own.id)}),
            ("cite", {"article": "Quince Orchard Minutes", "passage": "1"}),
        ):
            answer = await text_of(sandbox, second, command, options)
            assert "no article" in answer.lower() and "prune" not in answer.lower(), answer
        refused = await sandbox.invoke_command(
            second.admin_id, second.general_id, "article publish", {"article": str(own.id)}
        )
        assert "no article" in (await refused.text()).lower()
        quote = "The orchard committee agreed to prune the quince trees before the frost."
        posted = await sandbox.send_message(second.bob_id, second.general_id, quote)
        find = await sandbox.invoke_message_command(second.alice_id, posted, "Find in archive")
        assert "could not find" in await find.text()
        in_first = await sandbox.send_message(first.bob_id, first.general_id, quote)
        find = await sandbox.invoke_message_command(first.alice_id, in_first, "Find in archive")
        assert "quince" in (await find.text()).lower()

        # Publish-all in the second guild posts the shared library only.
        publish_all = await sandbox.invoke_command(
            second.admin_id, second.general_id, "article publish-all"
        )
        await publish_all.wait_for(
            lambda h: next(
                (
                    m["content"]
                    for m in [h.original, *h.followups]
                    if m and "articles in all" in (m.get("content") or "")
                ),
                None,
            ),
            timeout=60,
        )
        assert "1 articles in all" in await publish_all.text() or any(
            "1 articles in all" in (m.get("content") or "") for m in publish_all.followups
        )
        names = [t["name"] for t in sandbox.threads(second.forum_id)]
        assert "Quince Orchard Minutes" not in names and len(names) == 1
        assert [t["name"] for t in sandbox.threads(first.forum_id)] == ["Quince Orchard Minutes"]

        # Both guilds search the shared library.
        shared = await bot.services.archive.resolve_article(str(shared_id))
        word = shared.title.split()[0]
        for guild in (first, second):
            assert "No passages match" not in await text_of(
                sandbox, guild, "search", {"query": word}
            )

        # The operator limits the shared library to the first guild: the second loses it.
        await bot.services.archive.limit_shared_library([int(first.guild_id)])
        show = await text_of(sandbox, second, "article show", {"article": str(shared_id)})
        assert "no article" in show.lower()
        show = await text_of(sandbox, first, "article show", {"article": str(shared_id)})
        assert "passages" in show
    sandbox.assert_no_violations()
