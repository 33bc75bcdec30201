"""Helpers for moderation end-to-end tests: a probe on the real pipeline, thread and command
shortcuts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from cogs.moderation.port import moderation
from forumbot.bot.client import ForumBot
from forumbot.sandbox import DemoGuild, Sandbox
from forumbot.services.moderation.pipeline import Outcome
from forumbot.services.moderation.types import MessageCopy


class Processed:
    """Counts messages the real pipeline finished with, so tests await instead of sleeping."""

    def __init__(self, bot: ForumBot) -> None:
        self.outcomes: list[Outcome] = []
        self.copies: list[MessageCopy] = []
        self._changed = asyncio.Event()
        pipeline = moderation(bot).pipeline
        original = pipeline.handle

        async def handle(copy: MessageCopy) -> Outcome:
            outcome = await original(copy)
            self.copies.append(copy)
            self.outcomes.append(outcome)
            self._changed.set()
            return outcome

        pipeline.handle = handle  # type: ignore[method-assign]

    async def first(
        self,
        predicate: Callable[[MessageCopy], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Outcome:
        """The outcome of the first message matching `predicate`, waiting for it if need be."""
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                for copy, outcome in zip(self.copies, self.outcomes, strict=True):
                    if predicate(copy):
                        return outcome
                await self._changed.wait()

    async def until(self, count: int, timeout: float = 5.0) -> list[Outcome]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.outcomes) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.outcomes


async def article_thread(sandbox: Sandbox, demo: DemoGuild) -> dict[str, Any]:
    return await sandbox.create_forum_post(
        demo.admin_id, demo.forum_id, "On the purges of 1937", "Discuss the article here."
    )


def deleted(sandbox: Sandbox, message: dict[str, Any]) -> bool:
    return bool(sandbox.find_requests("DELETE", rf"/messages/{message['id']}$", since=0))


async def command(
    sandbox: Sandbox, user: str, channel: Any, name: str, options: dict[str, Any] | None = None
) -> str:
    handle = await sandbox.invoke_command(user, channel, name, options or {})
    return await handle.text()


def dm_texts(sandbox: Sandbox, user: str) -> list[str]:
    return [
        " ".join([m.get("content") or ""] + [e.get("description") or "" for e in m["embeds"]])
        for m in sandbox.dm_messages(user)
    ]
