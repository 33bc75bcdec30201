"""Server set-up and bot administration: /setup and /admin sync."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs._checks import owner_only
from cogs.archive.search_ui import NO_MENTIONS

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot


# The setup answer ends with what an admin does next (kept short: it is read once).
NEXT_STEPS = (
    "**Welcome. Next steps:**\n"
    "1. Load an article: `/article load file:essay.md publish:True` (text, Markdown or HTML).\n"
    "2. Members discuss it in its forum thread; every comment is checked against "
    "`/guidelines`, and held comments wait in `/mod queue`.\n"
    "3. Look over the rules with `/rules list`, try one with `/rules test`, and tune points "
    "and timeouts with `/mod config`.\n"
    "4. `/help` lists every command with an example; members see theirs, moderators theirs."
)


class AdminCog(commands.Cog):
    admin = app_commands.Group(
        name="admin",
        description="Bot administration (owner only)",
        default_permissions=discord.Permissions(administrator=True),
    )

    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot
        self.services = bot.services

    @app_commands.command(name="setup", description="Choose the forum, mod-log and moderator role")
    @app_commands.describe(
        forum="Forum channel where articles are published",
        modlog="Text channel for moderation records",
        moderator_role="Role whose members moderate",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def setup_guild(
        self,
        interaction: discord.Interaction[Any],
        forum: discord.ForumChannel,
        modlog: discord.TextChannel,
        moderator_role: discord.Role,
    ) -> None:
        assert interaction.guild_id is not None
        await self.services.guilds.configure(
            interaction.guild_id,
            forum_channel_id=forum.id,
            modlog_channel_id=modlog.id,
            moderator_role_id=moderator_role.id,
        )
        await interaction.response.send_message(
            f"Set up: articles go to {forum.mention}, moderation records to {modlog.mention}, "
            f"moderators are {moderator_role.mention}.\n\n{NEXT_STEPS}",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @admin.command(name="sync", description="Re-register the bot's commands with Discord now")
    @owner_only()
    async def sync(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.sync_commands(force=True)
        count = len(self.bot.tree.get_commands())
        await interaction.followup.send(f"Synced {count} commands.", ephemeral=True)


async def setup(bot: ForumBot) -> None:
    await bot.add_cog(AdminCog(bot))
