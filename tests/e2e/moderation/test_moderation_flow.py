"""Moderation end to end: the real bot against the sandbox, acting as members and moderators."""

from __future__ import annotations

from typing import Any

import pytest

from forumbot.sandbox import DemoGuild, Sandbox
from tests.e2e.moderation.support import (
    Processed,
    article_thread,
    command,
    deleted,
    dm_texts,
)


async def test_insult_is_held_logged_and_member_told(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
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
    buttons = [c["custom_id"] for row in dm["components"] for c in row["components"]]
    assert any(b.startswith("mod:appeal:") for b in buttons)
    await sandbox.wait_until(
        lambda: any(m.get("embeds") for m in sandbox.messages(demo.modlog_id)), what="mod-log"
    )
    log = sandbox.messages(demo.modlog_id)[-1]
    assert log["embeds"][0]["title"].endswith("· hold")
    assert "personal-insults" in log["embeds"][0]["description"]
    assert {c["label"] for row in log["components"] for c in row["components"]} == {
        "Pardon", "Escalate", "History",
    }  # fmt: skip
    await processed.until(4)  # title, starter, civil, insult
    assert not deleted(sandbox, civil)
    sandbox.assert_no_violations()


async def test_repeated_offences_escalate_to_timeout(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    for n, text in enumerate(("you are an idiot", "you moron", "ur a fool"), start=1):
        msg = await sandbox.send_message(demo.alice_id, thread, text)
        await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
        await processed.until(2 + n)
    patch = await sandbox.wait_for_request("PATCH", rf"/guilds/{demo.guild_id}/members/"
                                           rf"{demo.alice_id}$")  # fmt: skip
    assert patch.json and patch.json.get("communication_disabled_until")
    guild = sandbox.world.guild(demo.guild_id)
    assert sandbox.world.is_timed_out(guild, demo.alice_id)
    kinds = [o.kinds() for o in processed.outcomes if o.entries]
    assert kinds == [["hold"], ["hold"], ["hold", "timeout"]]
    await sandbox.wait_until(
        lambda: any("timed out" in t for t in dm_texts(sandbox, demo.alice_id)),
        what="timeout DM",
    )


async def test_edit_that_turns_uncivil_is_caught(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    msg = await sandbox.send_message(demo.bob_id, thread, "I think you are mistaken.")
    await processed.until(3)
    assert not deleted(sandbox, msg)
    await sandbox.edit_message(demo.bob_id, msg, "I think you are a moron.")
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    outcome = next(o for o in await processed.until(4) if o.entries)
    assert outcome.kinds() == ["hold"] and outcome.entries[0].message_copy is not None
    assert outcome.entries[0].message_copy.source == "edit"


async def test_held_comment_approved_is_restored_as_it_was(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    text = "honestly you absolute muppet, read chapter 3"
    msg = await sandbox.send_message(demo.alice_id, thread, text)
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    outcome = next(o for o in await processed.until(3) if o.entries)
    assert outcome.queue_item is not None
    queue = await command(sandbox, demo.moderator_id, demo.modlog_id, "mod queue")
    number = outcome.queue_item.number
    assert f"Case #{number} (held)" in queue and "muppet" in queue
    reply = await command(
        sandbox, demo.moderator_id, demo.modlog_id, "mod review",
        {"item": f"case {number}", "decision": "approve", "reason": "friendly banter"},
    )  # fmt: skip
    assert "decided: approve" in reply and "back in the thread" in reply
    restored = [m for m in sandbox.messages(thread) if m["content"] == text]
    assert len(restored) == 1 and restored[0]["author"]["id"] == demo.bot_id
    assert f"<@{demo.alice_id}>" in restored[0]["embeds"][0]["description"]
    await processed.until(3)
    # The restored copy is not screened and held again.
    assert not deleted(sandbox, restored[0])


async def test_appeal_is_decided_by_another_moderator(
    configured: DemoGuild, sandbox: Sandbox
) -> None:
    demo = configured
    warned = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod warn",
        {"member": demo.alice_id, "reason": "needlessly hostile tone"},
    )  # fmt: skip
    assert "Warned" in warned
    case = int(warned.split("case #")[1].split(")")[0])
    filed = await command(
        sandbox, demo.alice_id, demo.general_id, "appeal",
        {"case": case, "reason": "I was quoting the article"},
    )  # fmt: skip
    assert f"on case #{case} filed" in filed
    item = "appeal " + filed.split("Appeal #")[1].split(" ")[0]
    refused = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod review",
        {"item": item, "decision": "grant"},
    )  # fmt: skip
    assert "another moderator must decide" in refused
    granted = await command(
        sandbox, demo.admin_id, demo.general_id, "mod review",
        {"item": item, "decision": "grant", "reason": "it was a quote"},
    )  # fmt: skip
    assert "decided: grant" in granted
    await sandbox.wait_until(
        lambda: any("was granted" in t for t in dm_texts(sandbox, demo.alice_id)),
        what="appeal decision DM",
    )
    history = await command(
        sandbox, demo.admin_id, demo.general_id, "mod history", {"member": demo.alice_id}
    )
    assert "Current points: **0.0**" in history and "(pardoned)" in history


async def test_shadow_rules_change_nothing(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    switched = await command(
        sandbox, demo.admin_id, demo.general_id, "rules mode",
        {"rule": "personal-insults", "mode": "shadow", "reason": "trial before enforcing"},
    )  # fmt: skip
    assert "shadow mode" in switched
    thread = await article_thread(sandbox, demo)
    msg = await sandbox.send_message(demo.alice_id, thread, "you are an idiot")
    outcomes = await processed.until(3)
    outcome = next(o for o in outcomes if o.screening.shadow)
    assert all(o.entries == [] for o in outcomes) and [
        h.rule for h in outcome.screening.shadow
    ] == ["personal-insults"]
    assert not deleted(sandbox, msg) and sandbox.dm_messages(demo.alice_id) == []
    # The mod-log has the rule change (who and why) and no action on anyone.
    logged = [e for m in sandbox.messages(demo.modlog_id) for e in m.get("embeds", [])]
    assert [e["title"].split(" · ")[1] for e in logged] == ["rules"]
    assert "trial before enforcing" in logged[0]["description"]
    assert f"<@{demo.admin_id}>" in logged[0]["description"]
    shown = await command(sandbox, demo.admin_id, demo.general_id, "rules show")
    assert "trial before enforcing" in shown


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("mod warn", {"reason": "x"}),
        ("mod queue", {}),
        ("mod lock", {"reason": "x"}),
        ("rules mode", {"rule": "slurs", "mode": "shadow", "reason": "x"}),
        ("rules set", {"reason": "x"}),
    ],
)
async def test_members_cannot_use_moderator_commands(
    configured: DemoGuild, sandbox: Sandbox, name: str, options: dict[str, Any]
) -> None:
    demo = configured
    if "member" not in options and name == "mod warn":
        options = {**options, "member": demo.bob_id}
    text = await command(sandbox, demo.alice_id, demo.general_id, name, options)
    assert "Only moderators can do this" in text
    assert sandbox.find_requests("PATCH", rf"/guilds/{demo.guild_id}/members/", since=0) == []


async def test_report_message_goes_to_the_queue(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    # a sharp remark the rules leave alone (the learned signal holds "Typical of your sort")
    msg = await sandbox.send_message(
        demo.bob_id, thread, "That is not what the source says, frankly."
    )
    await processed.until(3)
    handle = await sandbox.invoke_message_command(demo.alice_id, msg, "Report message")
    await handle.modal()
    submitted = await sandbox.submit_modal(demo.alice_id, handle, {"text": "baiting me"})
    assert "is in the moderators' review queue" in await submitted.text()
    queue = await command(sandbox, demo.moderator_id, demo.general_id, "mod queue")
    assert "report" in queue and "baiting me" in queue
    item = int(queue.split("#")[1].split(" ")[0])
    removed = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod review",
        {"item": item, "decision": "remove", "reason": "baiting"},
    )  # fmt: skip
    assert "decided: remove" in removed
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$", since=0)


async def test_thread_controls_are_logged(configured: DemoGuild, sandbox: Sandbox) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    locked = await command(
        sandbox, demo.moderator_id, thread, "mod lock", {"reason": "cooling off"}
    )
    assert "Lock" in locked
    assert sandbox.channel(thread["id"])["thread_metadata"]["locked"] is True
    slowed = await command(
        sandbox, demo.moderator_id, thread, "mod slowmode",
        {"seconds": 60, "reason": "heated", "minutes": 30},
    )  # fmt: skip
    assert "Slow mode" in slowed
    assert sandbox.channel(thread["id"])["rate_limit_per_user"] == 60
    info = await command(sandbox, demo.moderator_id, thread, "mod thread")
    assert "lock 1" in info and "slowmode 1" in info and "60 s" in info and "cooling off" in info
    reasons = [r.reason for r in sandbox.find_requests("PATCH", rf"/channels/{thread['id']}$",
                                                       since=0)]  # fmt: skip
    assert any(r and "cooling off" in r for r in reasons)
