"""The `feed` option: autocomplete on the guild's feeds, the value a feed id."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from forumbot.services.errors import InvalidInput
from forumbot.services.publishing import shorten


class FeedTransformer(app_commands.Transformer):
    async def transform(self, interaction: discord.Interaction[Any], value: str) -> int:
        text = str(value).strip()
        if text.isdigit() and 0 < int(text) < 2**31:
            return int(text)
        found = await interaction.client.services.feeds.suggest(interaction.guild_id, text)
        if len(found) == 1:
            return int(found[0].id)
        raise InvalidInput("Pick a feed from the list (or give its number from /feeds list).")

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str
    ) -> list[app_commands.Choice[str]]:
        try:
            found = await interaction.client.services.feeds.suggest(interaction.guild_id, value)
        except Exception:
            return []
        return [
            app_commands.Choice(name=shorten(f"{f.id}: {f.title or f.url}", 100), value=str(f.id))
            for f in found[:25]
        ]


FeedOption = app_commands.Transform[int, FeedTransformer]
