"""Moderation end to end: the real bot against the sandbox, acting as members and moderators."""

from __future__ import annotations

from typing import Any

from forumbot.bot import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox


async def article_thread(sandbox: Sandbox, demo: DemoGuild) -> dict[str, Any]:
    return await sandbox.create_forum_post(
        demo.admin_id, demo.forum_id, "On the purges of 1937", "Discuss the article here."
    )


def deleted(sandbox: Sandbox, message: dict[str, Any]) -> bool:
    return bool(sandbox.find_requests("DELETE", rf"/messages/{message['id']}$", since=0))


async def test_insult_is_held_logged_and_member_told(
    bot: ForumBot, configured: DemoGuild, sandbox: Sandbox
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    civil = await sandbox.send_message(demo.alice_id, thread, "I think the author is wrong.")
    insult = await sandbox.send_message(demo.alice_id, thread, "you are an idiot")
    await sandbox.wait_for_request("DELETE", rf"/channels/{thread['id']}/messages/{insult['id']}")
    await sandbox.wait_until(lambda: sandbox.dm_messages(demo.alice_id), what="DM to alice")
    dm = sandbox.dm_messages(demo.alice_id)[-1]
    text = dm["embeds"][0]["description"]
    assert "held for review" in text and "Guideline" in text and "/appeal case:" in text
    assert any(c["custom_id"].startswith("mod:appeal:") for row in dm["components"]
               for c in row["components"])  # fmt: skip
    await sandbox.wait_until(
        lambda: any(m.get("embeds") for m in sandbox.messages(demo.modlog_id)), what="mod-log"
    )
    log = sandbox.messages(demo.modlog_id)[-1]["embeds"][0]
    assert log["title"].endswith("· hold") and "personal-insults" in log["description"]
    assert not deleted(sandbox, civil)
    sandbox.assert_no_violations()
