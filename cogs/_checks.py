"""Reusable app-command checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


class NotOwner(app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__("Only the bot's owner can do this.")


def owner_only() -> Callable[[T], T]:
    """Passes only for the application's owner (or a team member)."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if await interaction.client.is_owner(interaction.user):
            return True
        raise NotOwner()

    return app_commands.check(predicate)
