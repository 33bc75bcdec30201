"""The one-field form (modal) moderation uses for reasons, reports, appeals and rule text, and
the ephemeral reply that works whether or not the interaction was answered yet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from cogs._errors import reply_error

NO_MENTIONS = discord.AllowedMentions.none()

Submit = Callable[[discord.Interaction[Any], str], Awaitable[None]]


class TextModal(discord.ui.Modal):
    """One paragraph input; hands the text to `submit`. Errors reach the user as one line."""

    def __init__(
        self,
        title: str,
        label: str,
        submit: Submit,
        *,
        default: str | None = None,
        max_length: int = 1000,
        required: bool = True,
    ) -> None:
        super().__init__(title=title[:45], timeout=600)
        self._submit = submit
        self.text: discord.ui.TextInput[TextModal] = discord.ui.TextInput(
            label=label[:45],
            style=discord.TextStyle.paragraph,
            default=default,
            max_length=max_length,
            required=required,
            custom_id="text",
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self._submit(interaction, self.text.value)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await reply_error(interaction, error)


async def reply(interaction: discord.Interaction[Any], text: str, **kwargs: Any) -> None:
    kwargs.setdefault("ephemeral", True)
    if interaction.response.is_done():
        await interaction.followup.send(text, allowed_mentions=NO_MENTIONS, **kwargs)
    else:
        await interaction.response.send_message(text, allowed_mentions=NO_MENTIONS, **kwargs)
