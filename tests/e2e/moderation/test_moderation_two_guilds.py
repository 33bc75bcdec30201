"""Moderation end to end with two guilds on one bot: one guild's rules, cases, queue, appeals,
mod-log and settings are invisible to the other and cannot be acted on from it."""

from __future__ import annotations

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox
from tests.e2e.moderation.support import Processed, article_thread, command, deleted
from tests.fixtures.bot import run_setup


async def test_two_guilds_moderate_apart(
    bot: ForumBot, configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    first = configured
    second = sandbox.create_demo_guild("Second Server")
    assert "Set up" in await run_setup(sandbox, second)

    # The first guild puts the insult rule in shadow mode; the second keeps enforcing it.
    switched = await command(
        sandbox, first.admin_id, first.general_id, "rules mode",
        {"rule": "personal-insults", "mode": "shadow", "reason": "trial in the first guild"},
    )  # fmt: skip
    assert "shadow mode" in switched
    thread_one = await article_thread(sandbox, first)
    thread_two = await article_thread(sandbox, second)
    kept = await sandbox.send_message(first.alice_id, thread_one, "you are an idiot")
    held = await sandbox.send_message(second.alice_id, thread_two, "you are an idiot")
    await sandbox.wait_for_request("DELETE", rf"/messages/{held['id']}$")
    outcome = await processed.first(lambda c: c.message_id == int(held["id"]))
    assert outcome.queue_item is not None and outcome.entries
    # Cases are numbered per guild; the queue and the commands name them by that number.
    case = outcome.entries[0].case_number
    assert case is not None
    await processed.first(lambda c: c.message_id == int(kept["id"]))
    assert not deleted(sandbox, kept)

    # The second guild's case and queue item exist there only.
    assert f"Case #{case} (held)" in await command(
        sandbox, second.moderator_id, second.modlog_id, "mod queue"
    )
    assert f"Case #{case}" not in await command(
        sandbox, first.moderator_id, first.modlog_id, "mod queue"
    )
    for name, options in (
        ("mod review", {"item": f"case {case}", "decision": "approve", "reason": "not ours"}),
        ("mod pardon", {"case": case, "reason": "not ours"}),
    ):
        answer = await command(sandbox, first.admin_id, first.general_id, name, options)
        # Nothing of the second guild is reachable from the first: its case is unknown there.
        assert answer.startswith(("No ", "There is no")), (name, answer)
    # Still open and unpardoned in the second guild.
    assert f"Case #{case} (held)" in await command(
        sandbox, second.moderator_id, second.modlog_id, "mod queue"
    )
    history = await command(
        sandbox, second.admin_id, second.general_id, "mod history", {"member": second.alice_id}
    )
    assert "(pardoned)" not in history and "Current points: **0.0**" not in history

    # Each mod-log holds its own guild's entries only.
    def titles(modlog: str) -> list[str]:
        return [e["title"] for m in sandbox.messages(modlog) for e in m.get("embeds", [])]

    await sandbox.wait_until(lambda: titles(second.modlog_id), what="second mod-log")
    assert [t.split(" · ")[1] for t in titles(first.modlog_id)] == ["rules"]
    assert all(not t.endswith("· rules") for t in titles(second.modlog_id))
    # Each guild's settings (forum, mod-log, moderator role) are its own.
    for guild in (first, second):
        config = await bot.services.guilds.get(int(guild.guild_id))
        assert config is not None
        assert (config.forum_channel_id, config.modlog_channel_id) == (
            int(guild.forum_id),
            int(guild.modlog_id),
        )
    sandbox.assert_no_violations()
