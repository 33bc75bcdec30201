"""The demo console drives the test bot the way a person at `make run` would."""

from __future__ import annotations

from discord.ext import commands

from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.clients import connected
from forumbot.sandbox.console import SandboxConsole

from .test_sandbox_wire import Probe, make_bot


async def test_console_commands_buttons_modals_and_posts(sandbox: Sandbox, demo: DemoGuild) -> None:
    lines: list[str] = []
    console = SandboxConsole(sandbox, write=lines.append, ids=True)

    def printed(text: str) -> bool:
        console.flush()
        return any(text in line for line in lines)

    bot: commands.Bot = make_bot(Probe())
    async with connected(bot, sandbox), console.watching():
        await bot.tree.sync()
        await console.execute("as bob")
        await console.execute('/echo text:"hi there" times:2 who:alice')
        await sandbox.wait_until(lambda: printed("hi there hi there for alice"))
        await console.execute("/panel")
        await sandbox.wait_until(lambda: printed("[button demo:approve: Approve]"))
        panel = sandbox.messages(demo.general_id)[-1]
        await console.execute(f"click {panel['id']} demo:approve")
        await sandbox.wait_until(lambda: printed("bot edited in #general"))
        await console.execute("/feedback")
        assert printed("fb:text  (Your feedback)")
        await console.execute("submit fb:text=lovely")
        await sandbox.wait_until(lambda: printed("thanks: lovely"))
        await console.execute("?find query:cit")
        assert printed("• cit 0")
        await console.execute("post My question | Is this on?")
        assert console.channel_id == sandbox.threads(demo.forum_id)[-1]["id"]
        await console.execute("say a reply")
        await console.execute("read 2")
        assert printed("bob: a reply")
        await console.execute("/nope")
        assert printed("! no synced command 'nope'")
    sandbox.assert_no_violations()


async def test_console_friendly_lines_and_unbalanced_quotes(
    sandbox: Sandbox, demo: DemoGuild
) -> None:
    lines: list[str] = []
    console = SandboxConsole(sandbox, write=lines.append)

    def printed(text: str) -> bool:
        console.flush()
        return any(text in line for line in lines)

    bot: commands.Bot = make_bot(Probe())
    async with connected(bot, sandbox), console.watching():
        await bot.tree.sync()
        # An unbalanced quote is literal text, not a parse error.
        await console.execute('/echo "unbalanced (C++ NOT')
        await sandbox.wait_until(lambda: printed('"unbalanced (C++ NOT'))
        assert not printed("No closing quotation")
        # Positional required option, `opt=value`, and a member by name.
        await console.execute("/echo hi there times=2 who=bob")
        await sandbox.wait_until(lambda: printed("hi there hi there for bob"))
        # Buttons by label on the bot's last message with buttons.
        await console.execute("/panel")
        await console.execute("click Approve")
        await sandbox.wait_until(lambda: printed("bot edited in #general"))
        assert sandbox.messages(demo.general_id)[-1]["content"] == "approved"
        # Forum posts are numbered; `say <n> <text>` comments in one.
        await console.execute("post First | opening")
        await console.execute("in general")
        await console.execute("threads")
        assert printed("  1. First")
        await console.execute("say 1 a comment")
        assert sandbox.messages(sandbox.threads(demo.forum_id)[0])[-1]["content"] == "a comment"
        comment = sandbox.messages(sandbox.threads(demo.forum_id)[0])[-1]
        await console.execute(f'apply "Quote" {comment["id"]}')
        await sandbox.wait_until(lambda: printed("> a comment"))
        await console.execute("as nobody")
        assert printed("! no member named 'nobody'")
    sandbox.assert_no_violations()
