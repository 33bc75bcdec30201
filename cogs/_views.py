"""Views that belong to the member who opened them (confirm dialogs and the like)."""

from __future__ import annotations

from typing import Any

import discord

from cogs._errors import reply_error


class OwnedView(discord.ui.View):
    """Buttons only the member who asked may press; anyone else gets `refusal`, ephemerally,
    and nothing happens. An error in a button becomes the usual short ephemeral reply."""

    def __init__(self, *, owner_id: int, refusal: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.author_id = owner_id
        self.refusal = refusal

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.author_id:
            await interaction.response.send_message(self.refusal, ephemeral=True)
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply_error(interaction, error)
