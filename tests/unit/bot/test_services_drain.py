"""drain_tasks: the bot's leftover tasks finish before the engine goes; others are left be."""

from __future__ import annotations

import asyncio

from forumbot.bot.services import BOT_TASK_PREFIXES, drain_tasks


async def test_drain_waits_for_the_bots_tasks_only() -> None:
    finished: list[str] = []
    forever = asyncio.Event()

    async def handler(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        finished.append(name)

    bot_task = asyncio.create_task(handler("bot", 0.05), name="discord.py: on_ready")
    server = asyncio.create_task(forever.wait(), name="sandbox-gateway")
    try:
        await drain_tasks(timeout=5, prefixes=BOT_TASK_PREFIXES)
        assert finished == ["bot"] and bot_task.done()
        assert not server.done(), "a task of another server on the loop is not waited for"
        late = asyncio.create_task(handler("late", 10), name="CommandTree-invoker")
        await drain_tasks(timeout=0.05, prefixes=BOT_TASK_PREFIXES)  # bounded
        assert not late.done()
        late.cancel()
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
