"""/article delete: what deleting will do, then Delete/Cancel (nothing changes before Delete)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from cogs._views import OwnedView
from cogs.archive.search_ui import NO_MENTIONS
from forumbot.services.publishing import shorten
from forumbot.services.removal import RemovalPlan, describe_posts

Delete = Callable[[discord.Interaction[Any]], Awaitable[str]]


def delete_embed(guild_id: int, plan: RemovalPlan) -> discord.Embed:
    embed = discord.Embed(title=shorten(f"Delete #{plan.article_id}: {plan.title}", 256))
    here = [t for g, t in plan.posts if g == guild_id]
    lines = [
        f"Deletes **{plan.passages} passages** and **{plan.comments} comments** from the "
        "archive; `/cite` of it will answer that it was removed.",
        describe_posts(plan.posts) + (f" Here: <#{here[0]}>." if here else ""),
        "Recorded in the archive's audit trail. It cannot be undone: loading the file again "
        "makes a new article with a new number.",
    ]
    embed.description = "\n".join(lines)
    return embed


class DeleteConfirm(OwnedView):
    def __init__(self, *, author_id: int, delete: Delete) -> None:
        super().__init__(
            owner_id=author_id,
            refusal="Only the person who asked for the deletion can confirm it.",
            timeout=300,
        )
        self.delete = delete

    @discord.ui.button(label="Delete", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(content="Deleting…", embed=None, view=None)
        text = await self.delete(interaction)
        await interaction.edit_original_response(content=text[:2000], allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled; nothing was deleted.", embed=None, view=None
        )
