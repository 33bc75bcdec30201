"""Sharding through the sandbox, as Discord hands shards out: the count from GET /gateway/bot,
IDENTIFY's shard honoured, a guild's events only on its shard; two processes with their own
shards moderate each guild once; a second process with the same shards waits as a standby."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.sandbox.gateway import shard_of
from forumbot.storage.models.moderation import ModAction
from tests.e2e.moderation.support import Processed, article_thread
from tests.fixtures.bot import BotRunner, run_setup


def second_guild_on_other_shard(sandbox: Sandbox, first: DemoGuild) -> DemoGuild:
    """A second demo guild whose id falls on the other of two shards."""
    for _ in range(200):
        time.sleep(0.002)  # the next millisecond: snowflakes of one ms share a shard
        guild = sandbox.create_demo_guild("Second")
        if shard_of(guild.guild_id, 2) != shard_of(first.guild_id, 2):
            return guild
        del sandbox.world.guilds[guild.guild_id]  # not there before the bot connects
    raise AssertionError("no guild landed on the other shard")


@pytest.fixture
def two_shards(sandbox: Sandbox, demo: DemoGuild) -> tuple[DemoGuild, DemoGuild]:
    sandbox.recommended_shards = 2
    sandbox.max_concurrency = 2  # both shards may identify at once, as for large bots
    other = second_guild_on_other_shard(sandbox, demo)
    by_shard = sorted([demo, other], key=lambda g: shard_of(g.guild_id, 2))
    return by_shard[0], by_shard[1]


def runner_for(bot_runner: BotRunner, **changes: Any) -> BotRunner:
    settings = bot_runner.settings.model_copy(update=changes)
    return BotRunner(bot_runner.sandbox, settings)


async def test_unset_shards_follow_discords_recommendation(
    bot_runner: BotRunner, sandbox: Sandbox, two_shards: tuple[DemoGuild, DemoGuild]
) -> None:
    async with bot_runner.running() as bot:
        assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
        assert {g.id for g in bot.guilds} == {int(g.guild_id) for g in two_shards}
        shards = sorted([s.shard_id, s.shard_count] for s in sandbox.gateway.sessions.values())
        assert shards == [[0, 2], [1, 2]]
        for guild in two_shards:
            assert bot.get_guild(int(guild.guild_id)).shard_id == shard_of(guild.guild_id, 2)


@contextlib.asynccontextmanager
async def shard_process(runner: BotRunner) -> AsyncIterator[tuple[ForumBot, Processed]]:
    async with runner.running() as bot:
        yield bot, Processed(bot)


async def test_two_processes_each_moderate_their_own_shard_once(
    bot_runner: BotRunner, sandbox: Sandbox, two_shards: tuple[DemoGuild, DemoGuild]
) -> None:
    first, second = two_shards
    zero = runner_for(bot_runner, shard_count=2, shard_ids="0")
    one = runner_for(bot_runner, shard_count=2, shard_ids="1")
    async with shard_process(zero) as (bot0, seen0), shard_process(one) as (bot1, seen1):
        assert [g.id for g in bot0.guilds] == [int(first.guild_id)]
        assert [g.id for g in bot1.guilds] == [int(second.guild_id)]
        for guild in (first, second):
            sandbox.demo = guild
            assert "Set up" in await run_setup(sandbox, guild)
        threads = [await article_thread(sandbox, g) for g in (first, second)]
        insults = [
            await sandbox.send_message(g.alice_id, t, "you are an idiot")
            for g, t in zip((first, second), threads, strict=True)
        ]
        for insult, thread in zip(insults, threads, strict=True):
            await sandbox.wait_for_request("DELETE", rf"/{thread['id']}/messages/{insult['id']}")
        await seen0.until(3)  # title, starter, insult of the first guild
        await seen1.until(3)
        assert {c.guild_id for c in seen0.copies} == {int(first.guild_id)}
        assert {c.guild_id for c in seen1.copies} == {int(second.guild_id)}
        from sqlalchemy import select

        async with bot0.services.sessionmaker() as session:
            holds = (await session.scalars(select(ModAction).where(ModAction.kind == "hold"))).all()
        assert sorted(h.guild_id for h in holds) == sorted(int(g.guild_id) for g in two_shards)
        for guild in two_shards:
            assert len(sandbox.dm_messages(guild.alice_id)) == 1
    sandbox.assert_no_violations()


async def test_a_second_process_with_the_same_shards_waits_and_takes_over(
    bot_runner: BotRunner,
    sandbox: Sandbox,
    demo: DemoGuild,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="forumbot.bot.client")
    # The second process: its own services on the same database, its own holder id.
    async with bot_runner.running() as first, bot_runner.services() as services:
        standby = ForumBot(services, guild_ready_timeout=0.05)
        task = asyncio.create_task(standby.start(sandbox.token))
        await asyncio.sleep(2.0)
        assert not standby.is_ready() and len(sandbox.gateway.sessions) == 1
        lines = [r.getMessage() for r in caplog.records if "standby:" in r.getMessage()]
        assert len(lines) == 1 and "takes over within" in lines[0]
        started = asyncio.get_running_loop().time()
        await first.close()
        await asyncio.wait_for(standby.wait_until_ready(), timeout=30)
        took = asyncio.get_running_loop().time() - started
        assert took < 30 and standby.keeper.holds("shard:0/1")
        await standby.close()
        await task


async def test_an_invalid_shard_is_closed_with_discords_code(sandbox: Sandbox) -> None:
    for shard, code in (([2, 2], 4010), ([0, 0], 4010), (["0", 1], 4010)):
        async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10
            identify = {"token": sandbox.token, "intents": 513, "properties": {}, "shard": shard}
            await ws.send_str(json.dumps({"op": 2, "d": identify}))
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == code, (shard, msg)


async def test_gateway_bot_reports_shards_and_the_session_start_limit(sandbox: Sandbox) -> None:
    sandbox.recommended_shards = 4
    before = sandbox.session_starts_remaining
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{sandbox.api_url}/gateway/bot", headers={"Authorization": f"Bot {sandbox.token}"}
        ) as resp,
    ):
        body = await resp.json()
    assert body["shards"] == 4
    assert body["session_start_limit"]["remaining"] == before
    assert set(body["session_start_limit"]) == {
        "total", "remaining", "reset_after", "max_concurrency",
    }  # fmt: skip


async def test_an_interaction_delivered_twice_is_answered_once(
    bot: ForumBot, sandbox: Sandbox, demo: DemoGuild, caplog: pytest.LogCaptureFixture
) -> None:
    """As when two processes receive it: the database claim lets one answer."""
    caplog.set_level(logging.INFO, logger="forumbot.bot.client")
    handle = await sandbox.invoke_command(demo.alice_id, demo.general_id, "search", {"query": "x"})
    await handle.text()
    sandbox.gateway.dispatch("INTERACTION_CREATE", dict(handle.record.payload))
    await sandbox.wait_until(
        lambda: any("answered by another process" in r.getMessage() for r in caplog.records),
        5,
        what="the second delivery refused",
    )
    answers = sandbox.find_requests("POST", rf"/interactions/{handle.record.id}/")
    assert len(answers) == 1
    sandbox.assert_no_violations()
