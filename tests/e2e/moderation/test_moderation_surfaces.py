"""More moderation surfaces end to end: imported comments, buttons that survive in DMs and the
mod-log, /rules test and backtest, closed DMs."""

from __future__ import annotations

import asyncio

from forumbot.bot.client import ForumBot
from forumbot.sandbox import ApiError, DemoGuild, Sandbox
from tests.e2e.moderation.support import Processed, article_thread, command
from tests.fixtures.bot import SEEDS_DIR, BotRunner, LoadArticles, run_setup

ESSAY = next(SEEDS_DIR.glob("003_*"))


async def test_imported_reader_comments_are_screened_and_recorded(
    configured: DemoGuild,
    sandbox: Sandbox,
    processed: Processed,
    load_articles: LoadArticles,
) -> None:
    demo = configured
    [article_id] = await load_articles(ESSAY)
    published = await command(
        sandbox, demo.admin_id, demo.general_id, "article publish", {"article": str(article_id)}
    )
    assert "Published" in published
    [thread] = sandbox.threads(demo.forum_id)
    bot_messages = [m for m in sandbox.messages(thread["id"]) if m["author"]["id"] == demo.bot_id]
    # Title, every relayed message (passages and the three comments) went through the engine.
    outcomes = await processed.until(len(bot_messages) + 1, timeout=10)
    sources = [c.source for c in processed.copies]
    assert sources.count("imported") == 3 and "title" in sources
    comments = [c for c in processed.copies if c.source == "imported"]
    assert all(c.author_id is None and c.author_name for c in comments)
    assert all(not o.entries for o in outcomes)  # the seed essay and its comments are civil
    info = await command(sandbox, demo.moderator_id, thread, "mod thread")
    assert "Flagged" in info and "Actions taken" in info


async def test_appeal_button_in_dm_files_an_appeal(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    await sandbox.send_message(demo.alice_id, thread, "you are an idiot")
    await sandbox.wait_until(lambda: sandbox.dm_messages(demo.alice_id), what="DM")
    dm = sandbox.dm_messages(demo.alice_id)[-1]
    [custom_id] = [c["custom_id"] for row in dm["components"] for c in row["components"]]
    handle = await sandbox.click(demo.alice_id, dm, custom_id)
    await handle.modal()
    filed = await sandbox.submit_modal(demo.alice_id, handle, {"text": "it was sarcasm"})
    assert "Appeal #" in await filed.text()
    queue = await command(sandbox, demo.moderator_id, demo.general_id, "mod queue")
    assert "appeal" in queue and "it was sarcasm" in queue


async def test_mod_log_buttons_work(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    warned = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod warn",
        {"member": demo.bob_id, "reason": "tone"},
    )  # fmt: skip
    case = warned.split("case #")[1].split(")")[0]
    await sandbox.wait_until(lambda: sandbox.messages(demo.modlog_id), what="mod-log post")
    log = sandbox.messages(demo.modlog_id)[-1]
    history = await sandbox.click(demo.moderator_id, log, f"mod:history:{demo.bob_id}")
    assert f"#{case} warn" in await history.text()
    try:
        refused = await sandbox.click(demo.alice_id, log, f"mod:pardon:{case}")
    except ApiError as exc:  # a server that hides the mod-log from members refuses the click
        assert "Missing Access" in str(exc)
    else:  # otherwise the bot itself refuses
        assert "Only moderators" in await refused.text()
    pardon = await sandbox.click(demo.admin_id, log, f"mod:pardon:{case}")
    await pardon.modal()
    done = await sandbox.submit_modal(demo.admin_id, pardon, {"text": "context"})
    assert f"Case #{case} pardoned" in await done.text()


async def test_rules_test_and_backtest(configured: DemoGuild, sandbox: Sandbox) -> None:
    demo = configured
    tested = await command(
        sandbox, demo.moderator_id, demo.general_id, "rules test", {"text": "you are an idiot"}
    )
    assert "Action: **hold**" in tested and "personal-insults" in tested
    backtest = await command(sandbox, demo.moderator_id, demo.general_id, "rules backtest")
    assert "Backtest of" in backtest and "would" in backtest
    listed = await command(sandbox, demo.moderator_id, demo.general_id, "rules list")
    assert "personal-insults" in listed


async def test_closed_dms_are_recorded(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    sandbox.set_dms_closed(demo.bob_id)
    thread = await article_thread(sandbox, demo)
    msg = await sandbox.send_message(demo.bob_id, thread, "you moron")
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    outcome = next(o for o in await processed.until(3) if o.entries)
    assert outcome.dm_delivered is False
    await sandbox.wait_until(
        lambda: any("DMs closed" in (e.get("description") or "")
                    for m in sandbox.messages(demo.modlog_id) for e in m.get("embeds", [])),
        what="mod-log note that the member was not told",
    )  # fmt: skip
    history = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod history", {"member": demo.bob_id}
    )
    assert "hold" in history


async def test_hot_thread_gets_automatic_slow_mode(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    refused = await command(
        sandbox, demo.alice_id, demo.general_id, "mod config", {"heat_messages": 2}
    )
    assert "Only moderators" in refused
    saved = await command(
        sandbox, demo.admin_id, demo.general_id, "mod config",
        {"heat_messages": 4, "slowmode_seconds": 15, "reason": "busy forum"},
    )  # fmt: skip
    assert "Saved." in saved and "heat_messages: 4" in saved
    thread = await article_thread(sandbox, demo)
    for n in range(3):
        who = demo.alice_id if n % 2 else demo.bob_id
        await sandbox.send_message(who, thread, f"A calm point number {n}.")
    patch = await sandbox.wait_for_request(
        "PATCH", rf"/channels/{thread['id']}$", since=0,
        predicate=lambda r: (r.json or {}).get("rate_limit_per_user") == 15,
    )  # fmt: skip
    assert patch.reason and "automatic slow mode" in patch.reason
    assert sandbox.channel(thread["id"])["rate_limit_per_user"] == 15
    await processed.until(5)  # title, starter and three comments
    await sandbox.wait_until(
        lambda: any("slowmode" in (e.get("title") or "") for m in sandbox.messages(demo.modlog_id)
                    for e in m.get("embeds", [])),
        what="slow mode in the mod-log",
    )  # fmt: skip


async def test_rules_set_validates_and_applies(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    handle = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "rules set", {"reason": "stricter on jabs"}
    )
    await handle.modal()
    bad = await sandbox.submit_modal(
        demo.admin_id, handle, {"text": "rules:\n  - id: personal-jabs\n    action: explode\n"}
    )
    assert "invalid rules" in await bad.text() and "explode" in await bad.text()
    handle = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "rules set", {"reason": "stricter on jabs"}
    )
    await handle.modal()
    good = await sandbox.submit_modal(
        demo.admin_id, handle, {"text": "rules:\n  - id: personal-jabs\n    action: remove\n"}
    )
    assert "Rules saved" in await good.text()
    tested = await command(
        sandbox, demo.moderator_id, demo.general_id, "rules test",
        {"text": "you are a liar and a fool"},
    )  # fmt: skip
    assert "Action: **remove**" in tested
    shown = await command(sandbox, demo.moderator_id, demo.general_id, "rules show")
    assert "stricter on jabs" in shown and "action: remove" in shown


async def test_queue_buttons_claim_and_decide(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    msg = await sandbox.send_message(demo.alice_id, thread, "you absolute muppet")
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    item = next(o for o in await processed.until(3) if o.entries).queue_item
    assert item is not None
    handle = await sandbox.invoke_command(demo.moderator_id, demo.general_id, "mod queue", {})
    listing = await handle.message()
    claim = await sandbox.click(demo.moderator_id, listing, f"mod:decide:{item.id}:claim")
    assert f"claimed Case #{item.number} (held)" in await claim.text()
    other = await sandbox.click(demo.admin_id, listing, f"mod:decide:{item.id}:remove")
    assert "is claimed by" in await other.text()
    removed = await sandbox.click(demo.moderator_id, listing, f"mod:decide:{item.id}:remove")
    assert "decided: remove" in await removed.text()


async def test_configured_moderator_role_alone_is_enough(
    bot: ForumBot, configured: DemoGuild, sandbox: Sandbox
) -> None:
    demo = configured
    carol = sandbox.create_user("carol")
    joined = asyncio.ensure_future(
        bot.wait_for("member_join", check=lambda m: m.id == int(carol["id"]), timeout=5)
    )
    helpers = sandbox.create_role(demo.guild_id, "Helpers", 0)  # no Discord permissions at all
    sandbox.add_member(demo.guild_id, carol, [helpers["id"]])
    member = await joined  # events arrive in order: the role is cached by now
    assert [r.name for r in member.roles if not r.is_default()] == ["Helpers"]
    before = await command(sandbox, carol, demo.general_id, "mod queue")
    assert "Only moderators" in before  # the role is not the configured one yet
    setup = await command(
        sandbox, demo.admin_id, demo.general_id, "setup",
        {"forum": demo.forum_id, "modlog": demo.modlog_id, "moderator_role": helpers["id"]},
    )  # fmt: skip
    assert "Set up" in setup
    after = await command(sandbox, carol, demo.general_id, "mod queue")
    assert "Review queue" in after


async def test_mod_log_buttons_survive_a_restart(
    bot_runner: BotRunner, sandbox: Sandbox, demo: DemoGuild
) -> None:
    async with bot_runner.running():
        assert "Set up" in await run_setup(sandbox, demo)
        warned = await command(
            sandbox, demo.moderator_id, demo.general_id, "mod warn",
            {"member": demo.bob_id, "reason": "tone"},
        )  # fmt: skip
        case = warned.split("case #")[1].split(")")[0]
        await sandbox.wait_until(lambda: sandbox.messages(demo.modlog_id), what="mod-log post")
    log = sandbox.messages(demo.modlog_id)[-1]
    async with bot_runner.running():  # a new process: nothing of the old views in memory
        history = await sandbox.click(demo.admin_id, log, f"mod:history:{demo.bob_id}")
        assert f"#{case} warn" in await history.text()
        escalate = await sandbox.click(demo.admin_id, log, f"mod:escalate:{case}")
        await escalate.modal()
        done = await sandbox.submit_modal(demo.admin_id, escalate, {"text": "kept going"})
        assert "timed out for 60 min" in await done.text()
        await sandbox.wait_for_request(
            "PATCH", rf"/guilds/{demo.guild_id}/members/{demo.bob_id}$", since=0
        )
