"""Turning errors into short ephemeral replies (the one place that decides what users see)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from forumbot.services.errors import UserFacingError, database_unavailable

log = logging.getLogger("forumbot.errors")

GENERIC = "Something went wrong on our side; it has been logged."


def _permission_names(names: list[str]) -> str:
    # discord.py says "manage_guild"; Discord's UI says "Manage Server".
    pretty = [n.replace("guild", "server").replace("_", " ").title() for n in names]
    return ", ".join(pretty)


def user_message(error: BaseException) -> str | None:
    """The sentence to show for an expected error, or None for a bug."""
    # Unwrap what discord.py wraps around the real cause.
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        cause = error.__cause__ or getattr(error, "original", None)
        if cause is None:
            break
        if isinstance(error, app_commands.TransformerError) and not isinstance(
            cause, UserFacingError
        ):
            return f"That value is not valid: {str(error.value)[:80]}"
        error = cause
    if isinstance(error, UserFacingError):
        return str(error)[:1900]
    if (outage := database_unavailable(error)) is not None:
        return outage
    if isinstance(error, app_commands.MissingPermissions):
        needed = _permission_names(error.missing_permissions)
        return f"You need the {needed} permission for this."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = _permission_names(error.missing_permissions)
        return f"I need the {needed} permission for this."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f}s."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use this command."
    if isinstance(error, discord.Forbidden):
        return "Discord refused: I lack a permission in that channel."
    return None


async def reply_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer the interaction with a short ephemeral sentence; log bugs with their traceback."""
    message = user_message(error)
    if message is not None and database_unavailable(error) is not None:
        # Not a bug, but the operator should know commands are failing.
        log.warning(
            "database unavailable for a command",
            extra={"command": interaction.command.qualified_name if interaction.command else None},
        )
    if message is None:
        command = interaction.command.qualified_name if interaction.command else None
        log.error(
            "unexpected error handling an interaction",
            exc_info=error,
            extra={"command": command, "interaction_type": interaction.type.name},
        )
        message = GENERIC
    try:
        if interaction.response.is_done():
            await interaction.followup.send(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        # The interaction expired or Discord is down: nothing more to tell the user.
        log.info("could not deliver an error reply", extra={"reply": message})
