"""/article delete: what deleting will do, then Delete/Cancel (nothing changes before Delete)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from cogs._errors import reply_error
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


class DeleteConfirm(discord.ui.View):
    def __init__(self, *, author_id: int, delete: Delete) -> None:
        super().__init__(timeout=300)
        self.author_id = author_id
        self.delete = delete

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.author_id:
            await interaction.response.send_message(
                "Only the person who asked for the deletion can confirm it.", ephemeral=True
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply_error(interaction, error)

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
