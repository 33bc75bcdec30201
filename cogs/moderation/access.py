"""Who may moderate: the moderator check every /mod, /rules command and mod button runs itself
(whatever the server's command permissions say), and the bot's one ModerationService."""

from __future__ import annotations

from typing import Any

import discord

from forumbot.services.errors import PermissionDenied
from forumbot.services.moderation import ModerationService

# Where the shared ModerationService lives on the bot (see port.moderation).
EXTRAS_KEY = "moderation"

# Which Discord permission stands in for the moderator role, per kind of command.
MEMBER_PERMISSION = "moderate_members"
THREAD_PERMISSION = "manage_threads"
RULES_PERMISSION = "manage_guild"


def service_of(client: Any) -> ModerationService:
    """The ModerationService the cogs built when they loaded."""
    service = client.services.extras.get(EXTRAS_KEY)
    assert isinstance(service, ModerationService), "the moderation cog is not loaded"
    return service


async def require_moderator(interaction: discord.Interaction[Any], permission: str) -> int:
    """Pass for the configured moderator role or the matching Discord permission (checked by the
    bot itself, whatever the server's command permissions say). Returns the guild id."""
    guild = interaction.guild
    user = interaction.user
    if guild is None or not isinstance(user, discord.Member):
        raise PermissionDenied("This only works in a server.")
    perms = interaction.permissions
    if perms.administrator or getattr(perms, permission, False):
        return guild.id
    config = await interaction.client.services.guilds.get(guild.id)
    if config is not None and any(role.id == config.moderator_role_id for role in user.roles):
        return guild.id
    needed = permission.replace("_", " ").title()
    raise PermissionDenied(f"Only moderators can do this (the moderator role or {needed}).")
