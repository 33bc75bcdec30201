"""Help and orientation end to end: /help per member, the setup welcome, /guidelines, and
locks and slow mode announced in the thread itself (with mentions disabled)."""

from __future__ import annotations

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.interactions import message_text
from tests.e2e.moderation.support import Processed, article_thread, command
from tests.fixtures.bot import run_setup


async def test_help_lists_what_each_member_can_do(configured: DemoGuild, sandbox: Sandbox) -> None:
    demo = configured
    member = await command(sandbox, demo.alice_id, demo.general_id, "help")
    assert "/search query:" in member and "/appeal case:12" in member
    assert "Apps → Report message" in member and "/guidelines" in member
    assert "For moderators" not in member and "/mod queue" not in member
    assert "/setup" not in member
    moderator = await command(sandbox, demo.moderator_id, demo.general_id, "help")
    assert "For moderators" in moderator and "/mod queue kind:held" in moderator
    assert "/mod review item:case 12 decision:approve" in moderator
    assert "For admins" not in moderator
    admin = await command(sandbox, demo.admin_id, demo.general_id, "help")
    assert "For admins" in admin and "/setup forum:" in admin and "/rules set" in admin
    sandbox.assert_no_violations()


async def test_setup_answer_ends_with_next_steps(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild
) -> None:
    text = await run_setup(sandbox, demo)
    assert "Set up" in text and "Next steps" in text
    assert "/article load" in text and "/help" in text and "/mod queue" in text


async def test_guidelines_are_readable_by_members(configured: DemoGuild, sandbox: Sandbox) -> None:
    demo = configured
    text = await command(sandbox, demo.alice_id, demo.general_id, "guidelines")
    assert "No personal attacks" in text and "An insult aimed at a participant" in text
    assert "At most: the comment is held until a moderator reviews it." in text
    assert "Trial rule" not in text  # shadow rules are not the community's rules
    sandbox.assert_no_violations()


async def test_lock_and_slow_mode_are_announced_in_the_thread(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    locked = await command(
        sandbox, demo.moderator_id, thread, "mod lock",
        {"reason": "cooling off, @everyone take ten"},
    )  # fmt: skip
    assert "Lock" in locked
    note = await sandbox.wait_for_message(
        thread["id"], predicate=lambda m: "locked this thread" in message_text(m)
    )
    assert "cooling off" in message_text(note)
    assert sandbox.pings(note) == {"users": [], "roles": [], "everyone": False}
    await command(sandbox, demo.moderator_id, thread, "mod unlock", {"reason": "calmer"})
    await sandbox.wait_for_message(
        thread["id"], predicate=lambda m: "unlocked this thread" in message_text(m)
    )
    # A hot thread slows down by itself, and says so.
    await command(
        sandbox, demo.admin_id, demo.general_id, "mod config",
        {"heat_messages": 4, "slowmode_seconds": 15, "reason": "busy forum"},
    )  # fmt: skip
    for n in range(4):
        who = demo.alice_id if n % 2 else demo.bob_id
        await sandbox.send_message(who, thread, f"A calm point number {n}.")
    busy = await sandbox.wait_for_message(
        thread["id"], predicate=lambda m: "This thread is busy" in message_text(m), timeout=10
    )
    assert "one comment every 15 s" in message_text(busy)
    await processed.until(6)
    # The bot's own notes are never screened as comments.
    assert not any("locked this thread" in c.content for c in processed.copies)
    sandbox.assert_no_violations()
