"""Answer an interaction in one callback when the work is quick, and defer before Discord's 3 s
deadline when it is not (a burst of interactions queued on the loop, a slow query), so that a
slow answer arrives late instead of being refused (404/10062, "This interaction failed")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import discord

from forumbot.bot.slots import AnswerSlots

NO_MENTIONS = discord.AllowedMentions.none()
# Of the interaction's age (its snowflake time): half of Discord's 3 s, because the defer itself
# may queue behind the other interactions on a busy loop.
DEFER_AFTER_S = 1.5


def time_left(interaction: discord.Interaction[Any], defer_after: float) -> float:
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    # A clock behind Discord's gives a negative age: never wait longer than defer_after.
    return min(defer_after, max(0.0, defer_after - age))


async def send_ephemeral_results(
    interaction: discord.Interaction[Any],
    work: Coroutine[Any, Any, tuple[discord.Embed, discord.ui.View]],
    *,
    defer_after: float = DEFER_AFTER_S,
    slots: AnswerSlots | None = None,
) -> None:
    """Send the embed and view `work` makes as an ephemeral answer: directly when it is ready
    within the budget (no extra round trip), else after an ephemeral "thinking" deferral.
    With `slots`, `work` runs in a free slot; when none is free it would wait behind the
    answers running, so the interaction is acknowledged ("thinking") before it waits."""
    if slots is None:
        await _answer(interaction, work, defer_after, lambda: None)
        return
    if slots.full and not interaction.response.is_done():
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except BaseException:
            work.close()
            raise
    try:
        await slots.take()  # no suspension when a slot is free
    except BaseException:
        work.close()
        raise
    released = False

    def release() -> None:  # as soon as the results are made, not after they are sent
        nonlocal released
        if not released:
            released = True
            slots.release()

    try:
        await _answer(interaction, work, defer_after, release)
    finally:
        release()


async def _answer(
    interaction: discord.Interaction[Any],
    work: Coroutine[Any, Any, tuple[discord.Embed, discord.ui.View]],
    defer_after: float,
    made: Callable[[], None],
) -> None:
    if interaction.response.is_done():  # deferred: by the HTTP endpoint, or while in line
        try:
            embed, view = await work
        finally:
            made()
        await interaction.followup.send(
            embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return
    task = asyncio.ensure_future(work)
    task.add_done_callback(lambda _: made())
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
