"""Numbers and outcomes that agree, end to end: one case number everywhere, an appeal that
undoes the whole chain about a comment, /appeal checked before its form, a DM that names the
thread, and a long record paged."""

from __future__ import annotations

from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.interactions import message_text
from tests.e2e.moderation.support import Processed, article_thread, command, dm_texts
from tests.e2e.moderation.test_moderation_sizes import all_pages


def modlog_titles(sandbox: Sandbox, demo: DemoGuild) -> list[str]:
    return [e["title"] for m in sandbox.messages(demo.modlog_id) for e in m.get("embeds", [])]


async def test_granted_appeal_undoes_hold_and_removal_with_one_number_everywhere(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    text = "you are an idiot, the table on page 4 says the opposite"
    msg = await sandbox.send_message(demo.alice_id, thread, text)
    await sandbox.wait_for_request("DELETE", rf"/messages/{msg['id']}$")
    await processed.until(3)
    # The DM names the case, the thread (linked) and where to read the guidelines.
    await sandbox.wait_until(lambda: sandbox.dm_messages(demo.alice_id), what="hold DM")
    dm = sandbox.dm_messages(demo.alice_id)[0]
    assert "Moderation notice (case #1)" in message_text(dm)
    assert "On the purges of 1937" in message_text(dm)
    assert f"https://discord.com/channels/{demo.guild_id}/{thread['id']}" in message_text(dm)
    assert "/guidelines" in message_text(dm) and "/appeal case:1" in message_text(dm)
    queue = await command(sandbox, demo.moderator_id, demo.general_id, "mod queue")
    assert "Case #1 (held)" in queue
    removed = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod review",
        {"item": "case 1", "decision": "remove", "reason": "insult"},
    )  # fmt: skip
    assert "Case #1 (held) decided: remove" in removed
    await sandbox.wait_until(
        lambda: any(t.startswith("Case #2 · remove") for t in modlog_titles(sandbox, demo)),
        what="the removal as case #2 in the mod-log",
    )
    titles = modlog_titles(sandbox, demo)
    assert titles[0] == "Case #1 · hold"
    assert any(t.startswith("Review of case #1 (held)") for t in titles)
    # One appeal entry for the comment, not one per step.
    choices = await (
        await sandbox.autocomplete(demo.alice_id, demo.general_id, "appeal", {"case": ""}, "case")
    ).choices()
    assert [c["value"] for c in choices] == [2]
    assert choices[0]["name"].startswith("#2 remove") and "table on page 4" in choices[0]["name"]
    filed = await command(
        sandbox, demo.alice_id, demo.general_id, "appeal",
        {"case": 2, "reason": "I was quoting the article's own critic"},
    )  # fmt: skip
    assert "Appeal #1 on case #2 filed" in filed
    history = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod history", {"member": demo.alice_id}
    )
    assert "Case #1 hold" in history and "Case #2 remove" in history
    assert "Current points: **0.0**" not in history
    granted = await command(
        sandbox, demo.admin_id, demo.general_id, "mod review",
        {"item": "appeal 1", "decision": "grant", "reason": "a quotation"},
    )  # fmt: skip
    assert "Appeal #1 on case #2 decided: grant" in granted
    assert "back in the thread" in granted
    await sandbox.wait_until(
        lambda: any("appeal was granted" in t for t in dm_texts(sandbox, demo.alice_id)),
        what="the appeal DM",
    )
    last = dm_texts(sandbox, demo.alice_id)[-1]
    assert "case #1, #2" in last and "approve" not in last
    history = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod history", {"member": demo.alice_id}
    )
    assert "Current points: **0.0**" in history
    assert "Case #1 hold (pardoned)" in history and "Case #2 remove (pardoned)" in history
    restored = [m for m in sandbox.messages(thread) if m["content"] == text]
    assert len(restored) == 1
    none_left = await (
        await sandbox.autocomplete(demo.alice_id, demo.general_id, "appeal", {"case": ""}, "case")
    ).choices()
    assert none_left == []
    sandbox.assert_no_violations()


async def test_appeal_is_refused_before_the_form_opens(
    configured: DemoGuild, sandbox: Sandbox
) -> None:
    demo = configured
    warned = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod warn",
        {"member": demo.bob_id, "reason": "tone"},
    )  # fmt: skip
    assert "(case #1)" in warned
    for user, case, error in [
        (demo.alice_id, 7, "There is no case #7"),
        (demo.alice_id, 1, "Case #1 is not about you"),
    ]:
        handle = await sandbox.invoke_command(user, demo.general_id, "appeal", {"case": case})
        assert error in await handle.text()
        assert handle.record.modal is None
    handle = await sandbox.invoke_command(demo.bob_id, demo.general_id, "appeal", {"case": 1})
    assert (await handle.modal())["title"] == "Appeal case #1"
    # Moderators pick cases to pardon by the same number.
    choices = await (
        await sandbox.autocomplete(
            demo.moderator_id, demo.general_id, "mod pardon", {"case": "", "reason": ""}, "case"
        )
    ).choices()
    assert [c["value"] for c in choices] == [1] and choices[0]["name"].startswith("#1 warn")


async def test_a_long_record_is_paged(configured: DemoGuild, sandbox: Sandbox) -> None:
    demo = configured
    reason = "Kept derailing the thread about the census figures with personal remarks. " * 4
    for n in range(40):
        await command(
            sandbox, demo.moderator_id, demo.general_id, "mod warn",
            {"member": demo.bob_id, "reason": f"{n + 1}: {reason}"},
        )  # fmt: skip
    handle = await sandbox.invoke_command(
        demo.moderator_id, demo.general_id, "mod history", {"member": demo.bob_id}
    )
    pages = await all_pages(sandbox, demo.moderator_id, handle)
    assert len(pages) == 3
    joined = "\n".join(message_text(p) for p in pages)
    assert "40 cases, 40 counting" in joined
    assert all(f"Case #{n} warn" in joined for n in range(1, 41))
    sandbox.assert_no_violations()
