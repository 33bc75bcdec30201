"""The bot receiving interactions over Discord's HTTP interactions endpoint (signed POSTs from
the sandbox) instead of the gateway: the same commands, buttons, autocomplete and refusals, and
a busy bot deferring /search in its HTTP answer."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from forumbot.bot.client import ForumBot
from forumbot.bot.endpoint import InteractionsEndpoint
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.clients import connected
from tests.fixtures.bot import BotRunner

CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
EPHEMERAL = 64
JUMP = re.compile(r"https://discord\.com/channels/(\d+)/(\d+)/(\d+)")


def button(message: dict, label: str) -> str:
    return next(
        c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
        if c.get("label") == label
    )


@pytest.fixture
async def endpoint(
    bot: ForumBot, sandbox: Sandbox, published: list[int]
) -> AsyncIterator[InteractionsEndpoint]:
    """The running bot, switched to the HTTP endpoint after the seeds were published."""
    ep = bot.receive_interactions_over_http("127.0.0.1", 0)
    await ep.start()
    await sandbox.set_interactions_endpoint(ep.url)  # validated like Discord does
    try:
        yield ep
    finally:
        await sandbox.set_interactions_endpoint(None)
        await ep.close()


async def test_quiet_search_is_answered_by_callback_with_results(
    endpoint: InteractionsEndpoint, sandbox: Sandbox, demo: DemoGuild
) -> None:
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "working class"}
    )
    first = await handle.response()
    assert first["type"] == CHANNEL_MESSAGE and first["data"]["flags"] & EPHEMERAL
    assert handle.record.response_via == "callback"
    text = await handle.text()
    assert "__working__" in text and len(JUMP.findall(text)) == 5
    sandbox.assert_no_violations()


async def test_busy_bot_defers_search_in_its_http_answer_then_sends_results(
    endpoint: InteractionsEndpoint, sandbox: Sandbox, demo: DemoGuild
) -> None:
    endpoint.busy_after = 0  # every interaction counts as part of a burst
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "working class"}
    )
    first = await handle.response()
    assert first["type"] == DEFERRED_CHANNEL_MESSAGE and first["data"]["flags"] & EPHEMERAL
    assert handle.record.response_via == "http"
    message = await handle.message()
    assert message["flags"] & EPHEMERAL
    assert "__working__" in await handle.text()
    # Its buttons work (components are not deferrable: answered by callback).
    page2 = await sandbox.click(demo.alice_id, message, button(message, "▶"))
    assert "Page 2" in await page2.text()
    assert page2.record.response_via == "callback"
    # A command that is not registered as deferrable answers for itself even when busy.
    show = await sandbox.invoke_command(
        demo.bob_id, demo.general_id, "article show", {"article": "1"}
    )
    assert (await show.response())["type"] == CHANNEL_MESSAGE
    assert "passages" in await show.text()
    assert not endpoint.bot.acknowledged_by_endpoint, "every early deferral was claimed"
    sandbox.assert_no_violations()


async def test_a_deferred_search_that_fails_says_so_in_the_follow_up(
    endpoint: InteractionsEndpoint, sandbox: Sandbox, demo: DemoGuild
) -> None:
    endpoint.busy_after = 0
    handle = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "search", {"query": "x", "article": "99999"}
    )
    assert (await handle.response())["type"] == DEFERRED_CHANNEL_MESSAGE
    assert "no article" in (await handle.text()).lower()
    sandbox.assert_no_violations()


async def test_members_commands_autocomplete_and_refusals_over_http(
    endpoint: InteractionsEndpoint, sandbox: Sandbox, demo: DemoGuild, published: list[int]
) -> None:
    typed = await sandbox.autocomplete(
        demo.alice_id, demo.general_id, "cite", {"article": "Rohingya"}, focused="article"
    )
    choices = await typed.choices()
    assert choices and len(choices) <= 25 and all("Rohingya" in c["name"] for c in choices)
    cite = await sandbox.invoke_command(
        demo.alice_id, demo.general_id, "cite", {"article": choices[0]["value"], "passage": "1"}
    )
    quote = await cite.message()
    assert not quote.get("flags", 0) & EPHEMERAL and JUMP.search(quote["content"])
    refused = await sandbox.invoke_command(
        demo.bob_id, demo.general_id, "article publish", {"article": str(published[0])}
    )
    assert "Manage Server" in await refused.text()
    assert (await refused.message())["flags"] & EPHEMERAL
    sandbox.assert_no_violations()


async def test_a_burst_over_http_is_acknowledged_and_every_member_gets_results(
    endpoint: InteractionsEndpoint, sandbox: Sandbox, demo: DemoGuild
) -> None:
    members = [demo.alice_id, demo.bob_id, demo.moderator_id, demo.admin_id]
    queries = ["working class", "fascism", "revolution", "India", "party"]
    handles = [
        await sandbox.invoke_command(
            members[i % 4], demo.general_id, "search", {"query": queries[i % 5]}
        )
        for i in range(40)
    ]
    texts = await asyncio.gather(*(h.text(timeout=30) for h in handles))
    assert all("**" in t for t in texts), "every member sees highlighted results"
    vias = [h.record.response_via for h in handles]
    assert "http" in vias, "a burst of 40 is deferred in the HTTP answers"
    sandbox.assert_no_violations()


async def test_endpoint_configured_before_start_serves_from_setup_hook(
    bot_runner: BotRunner, sandbox: Sandbox, demo: DemoGuild
) -> None:
    async with bot_runner.services() as services:
        bot = ForumBot(services, guild_ready_timeout=0.05)
        ep = bot.receive_interactions_over_http("127.0.0.1", 0)
        async with connected(bot, sandbox):
            assert ep.port != 0, "started by setup_hook, on the port the system gave"
            await sandbox.set_interactions_endpoint(ep.url)
            try:
                handle = await sandbox.invoke_command(
                    demo.alice_id, demo.general_id, "search", {"query": "anything"}
                )
                assert "archive is empty" in await handle.text()
                assert handle.record.response_via == "callback"
            finally:
                await sandbox.set_interactions_endpoint(None)
        assert ep._runner is None, "closing the bot closes the endpoint"
    sandbox.assert_no_violations()
