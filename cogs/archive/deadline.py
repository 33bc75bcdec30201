"""Answer an interaction in one callback when the work is quick, and defer before Discord's 3 s
deadline when it is not (a burst of interactions queued on the loop, a slow query), so that a
slow answer arrives late instead of being refused (404/10062, "This interaction failed")."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

NO_MENTIONS = discord.AllowedMentions.none()
T = TypeVar("T")
# Of the interaction's age (its snowflake time): half of Discord's 3 s, because the defer itself
# may queue behind the other interactions on a busy loop.
DEFER_AFTER_S = 1.5


def time_left(interaction: discord.Interaction[Any], defer_after: float) -> float:
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    # A clock behind Discord's gives a negative age: never wait longer than defer_after.
    return min(defer_after, max(0.0, defer_after - age))


async def _in_line(slots: asyncio.Semaphore | None, work: Awaitable[T]) -> T:
    if slots is None:
        return await work
    async with slots:
        return await work


async def send_ephemeral_results(
    interaction: discord.Interaction[Any],
    work: Awaitable[tuple[discord.Embed, discord.ui.View]],
    *,
    defer_after: float = DEFER_AFTER_S,
    slots: asyncio.Semaphore | None = None,
) -> None:
    """Send the embed and view `work` makes as an ephemeral answer: directly when it is ready
    within the budget (no extra round trip), else after an ephemeral "thinking" deferral.
    With `slots`, `work` waits for a free slot first (first come, first served)."""
    work = _in_line(slots, work)
    if interaction.response.is_done():  # already deferred (the HTTP endpoint, when busy)
        embed, view = await work
        await interaction.followup.send(
            embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=time_left(interaction, defer_after))
        if task in done:
            embed, view = task.result()
            await interaction.response.send_message(
                embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view = await task
        await interaction.followup.send(
            embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
    finally:
        if not task.done():  # the deferral failed, or we were cancelled
            task.cancel()
