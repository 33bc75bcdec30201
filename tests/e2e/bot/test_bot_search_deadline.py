"""/search answers in one callback when its results are ready, and defers first when they are
not ready in time (a burst or a slow query), so a late answer is not refused by Discord."""

from __future__ import annotations

import asyncio
from typing import Any

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox

CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
EPHEMERAL = 64


def archive_cog(bot: ForumBot) -> Any:
    # load_extension imports cogs.archive afresh: isinstance against our import would fail.
    cog = bot.get_cog("ArchiveCog")
    assert cog is not None and hasattr(cog, "defer_after")
    return cog


async def test_quick_search_answers_in_one_callback(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "fascism"}
    )
    first = await handle.response()
    assert first["type"] == CHANNEL_MESSAGE, "no deferral round trip when the results are ready"
    assert first["data"]["flags"] & EPHEMERAL
    assert "__fascism__" in (await handle.text()).lower()
    sandbox.assert_no_violations()


async def test_slow_search_defers_then_sends_the_same_results(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    archive_cog(bot).defer_after = 0  # the results are never ready in time
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "working class"}
    )
    first = await handle.response()
    assert first["type"] == DEFERRED_CHANNEL_MESSAGE
    assert first["data"]["flags"] & EPHEMERAL, "the thinking message is only for the member"
    message = await handle.message()
    assert message["flags"] & EPHEMERAL
    assert "__working__" in await handle.text()
    labels = [c.get("label") for row in message["components"] for c in row["components"]]
    assert labels[:2] == ["◀", "▶"] and "Share 1" in labels
    # The buttons of a deferred answer page like the others.
    nxt = next(
        c["custom_id"]
        for row in message["components"]
        for c in row["components"]
        if c.get("label") == "▶"
    )
    page2 = await sandbox.click(demo.alice_id, message, nxt)
    assert "Page 2" in await page2.text()
    sandbox.assert_no_violations()


async def test_a_search_that_must_wait_for_an_answer_slot_is_acknowledged_first(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    """Over the gateway, in a burst: the searches before hold every slot, so this one would wait
    behind them; it says "thinking" at once instead of when the deadline comes."""
    archive_cog(bot).defer_after = 60  # only the full slots can make it defer
    slots = bot.answer_slots
    for _ in range(slots.size):
        await slots.take()
    before = len(sandbox.requests)
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "working class"}
    )
    first = await handle.response(timeout=3)
    assert first["type"] == DEFERRED_CHANNEL_MESSAGE
    assert first["data"]["flags"] & EPHEMERAL
    await asyncio.sleep(0.2)
    assert not sandbox.find_requests("POST", r"/webhooks/", since=before), "slots all taken"
    for _ in range(slots.size):
        slots.release()
    assert "__working__" in await handle.text()
    assert slots.running == 0, "the slot is given back once the results are made"
    sandbox.assert_no_violations()
