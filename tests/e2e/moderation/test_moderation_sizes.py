"""Moderation output at realistic sizes, through the sandbox (which refuses anything over
Discord's limits): a busy review queue, long rules, a long member history, a busy thread."""

from __future__ import annotations

from typing import Any

from forumbot.sandbox import DemoGuild, Sandbox, SandboxFile
from forumbot.sandbox.interactions import InteractionHandle, message_text
from tests.e2e.moderation.support import Processed, article_thread, command

COMMENT = (
    "I read the chapter on the grain requisitions twice and I still think the author leans "
    "too hard on the regional archives while ignoring the memoirs that were published in "
    "the sixties. Comment {n}: the figures for the spring of that year do not match the "
    "table in the appendix, and the footnote cites a source I could not find anywhere."
)
REASON = (
    "Report {n}: this reads to me like a deliberate attempt to derail the discussion, "
    "repeated across several threads this week. " * 6
).strip()


def pages_of(message: dict[str, Any]) -> tuple[int, int] | None:
    footer = ((message.get("embeds") or [{}])[0].get("footer") or {}).get("text") or ""
    if not footer.startswith("Page "):
        return None
    current, total = footer.removeprefix("Page ").split(" of ")
    return int(current), int(total)


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def next_page(sandbox: Sandbox, user: str, message: dict[str, Any]) -> dict[str, Any]:
    [nxt] = [
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if c.get("label") == "Next ▶"
    ]
    before = message_text(message)
    await sandbox.click(user, message, nxt)
    await sandbox.wait_until(
        lambda: message_text(sandbox.world.messages[message["id"]]) != before, what="next page"
    )
    return dict(sandbox.world.messages[message["id"]])


async def all_pages(sandbox: Sandbox, user: str, handle: InteractionHandle) -> list[dict[str, Any]]:
    first = dict(await handle.message())
    seen = [first]
    shape = pages_of(first)
    if shape is None:
        return seen
    for _ in range(shape[1] - 1):
        seen.append(await next_page(sandbox, user, seen[-1]))
    return seen


async def file_reports(
    sandbox: Sandbox, demo: DemoGuild, processed: Processed, count: int
) -> list[dict[str, Any]]:
    thread = await article_thread(sandbox, demo)
    messages = []
    for n in range(count):
        messages.append(await sandbox.send_message(demo.alice_id, thread, COMMENT.format(n=n + 1)))
    await processed.until(count + 1, timeout=20)
    for n, msg in enumerate(messages):
        handle = await sandbox.invoke_message_command(demo.bob_id, msg, "Report message")
        await handle.modal()
        filed = await sandbox.submit_modal(demo.bob_id, handle, {"text": REASON.format(n=n + 1)})
        assert "review queue" in await filed.text()
    return messages


async def test_a_busy_queue_is_paged_counted_filtered_and_actionable(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    messages = await file_reports(sandbox, demo, processed, 12)
    assert len(REASON) > 700 and len(COMMENT) > 300
    handle = await sandbox.invoke_command(demo.moderator_id, demo.general_id, "mod queue")
    pages = await all_pages(sandbox, demo.moderator_id, handle)
    assert len(pages) == 3  # four items (one row of buttons each) per page
    text = "\n".join(message_text(p) for p in pages)
    assert "12 open (12 reports)" in text
    for n in range(1, 13):
        assert f"Comment {n}:" in text and f"Report {n}:" in text
    for page in pages:
        embed = page["embeds"][0]
        assert len(embed["description"]) <= 4096
        rows = page["components"]
        assert len(rows) <= 5 and all(len(r["components"]) <= 5 for r in rows)
    labels = [c["label"] for row in pages[0]["components"] for c in row["components"]]
    assert labels[:4] == ["Claim report #1", "Approve", "Remove", "Timeout"]
    # The last item on the last page is actionable from there.
    last = pages[-1]
    remove = [c for c in custom_ids(last) if c.endswith(":remove")][-1]
    clicked = await sandbox.click(demo.moderator_id, last, remove)
    # The moderator is told once the decision and its side effects are done.
    assert "decided: remove" in await clicked.text()
    await sandbox.wait_for_request("DELETE", rf"/messages/{messages[-1]['id']}$", since=0)
    # Filters: by kind, by member; the count follows.
    reports = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod queue", {"kind": "report"}
    )
    assert "11 open (11 reports) · filters: kind report" in reports
    held = await command(sandbox, demo.moderator_id, demo.general_id, "mod queue", {"kind": "held"})
    assert "0 open" in held and "Nothing to review" in held
    bobs = await command(
        sandbox, demo.moderator_id, demo.general_id, "mod queue", {"member": demo.bob_id}
    )
    assert "0 open" in bobs
    sandbox.assert_no_violations()


async def test_long_rules_are_readable_paged_and_attached(
    configured: DemoGuild, sandbox: Sandbox
) -> None:
    demo = configured
    # The shipped rule behind most holds: over 2,000 characters of YAML.
    shown = await sandbox.invoke_command(
        demo.moderator_id, demo.general_id, "rules show", {"rule": "personal-insults"}
    )
    text = await shown.text()
    assert "Guideline:" in text and "**insults** (" in text and "```" not in text
    # A server's own rule with 600 words: pages of readable text plus the YAML as a file.
    words = [f"epithet{n:03d}variant" for n in range(600)]
    overrides = "rules:\n  - id: local-words\n    kind: words\n    guideline: Keep it civil\n"
    overrides += "    action: hold\n    words:\n" + "".join(f"      - {w}\n" for w in words)
    assert len(overrides) > 10_000
    saved = await sandbox.invoke_command(
        demo.admin_id, demo.general_id, "rules set",
        {"reason": "local list", "file": SandboxFile("rules.yaml", overrides.encode())},
    )  # fmt: skip
    assert "Rules saved" in await saved.text()
    handle = await sandbox.invoke_command(
        demo.moderator_id, demo.general_id, "rules show", {"rule": "local-words"}
    )
    pages = await all_pages(sandbox, demo.moderator_id, handle)
    assert len(pages) >= 3
    joined = "\n".join(message_text(p) for p in pages)
    assert all(w in joined for w in words)  # every word is reachable, none cut off
    [attachment] = pages[0]["attachments"]
    assert attachment["filename"] == "local-words.yaml"
    data = sandbox.attachments[attachment["id"]]["data"].decode()
    assert "epithet599variant" in data
    stored = await command(sandbox, demo.moderator_id, demo.general_id, "rules show")
    assert "Stored overrides" in stored and "Change #" in stored
    # The pack is now over one page long: the server's own rule is on one of the pages.
    listing = await sandbox.invoke_command(demo.moderator_id, demo.general_id, "rules list", {})
    listed = "\n".join(
        message_text(p) for p in await all_pages(sandbox, demo.moderator_id, listing)
    )
    assert "local-words" in listed
    sandbox.assert_no_violations()


async def test_a_busy_thread_record_is_paged(configured: DemoGuild, sandbox: Sandbox) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    reason = "the discussion of the 1937 census turned into a quarrel about motives again; " * 2
    for n in range(20):
        for action in ("lock", "unlock"):
            await command(
                sandbox, demo.moderator_id, thread, f"mod {action}",
                {"reason": f"{n + 1}: {reason}"},
            )  # fmt: skip
    handle = await sandbox.invoke_command(demo.moderator_id, thread, "mod thread")
    pages = await all_pages(sandbox, demo.moderator_id, handle)
    assert len(pages) == 3  # 40 actions, 20 a page, and the counts
    joined = "\n".join(message_text(p) for p in pages)
    assert "lock 20, unlock 20" in joined and joined.count("**Lock**") == 20
    sandbox.assert_no_violations()


async def test_backtest_with_many_examples_is_paged_and_attached(
    configured: DemoGuild, sandbox: Sandbox, processed: Processed
) -> None:
    demo = configured
    thread = await article_thread(sandbox, demo)
    insults = ["idiot", "moron", "clown", "fool", "imbecile", "halfwit", "buffoon", "dimwit"]
    for n, word in enumerate(insults * 2):
        who = demo.alice_id if n % 2 else demo.bob_id
        await sandbox.send_message(
            who, thread, f"you are such a {word}, and the table in chapter {n} proves it " * 3
        )
    await processed.until(len(insults) * 2 + 2, timeout=20)
    handle = await sandbox.invoke_command(demo.moderator_id, demo.general_id, "rules backtest")
    first = await handle.message(timeout=20)
    text = message_text(first)
    assert "Backtest of" in text and "would hold" in text
    [attachment] = first["attachments"]
    data = sandbox.attachments[attachment["id"]]["data"].decode()
    assert attachment["filename"] == "backtest.txt" and "Examples:" in data
    sandbox.assert_no_violations()
