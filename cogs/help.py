"""/help: what the member asking can do here, with an example of each; moderators and admins
see their commands too. Built from the commands the bot actually registered, so a command that
is not loaded is never advertised, and one added later still shows (to admins, under "More")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs._pages import pack, send_pages

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot

EVERYONE, MODERATORS, ADMINS = "everyone", "moderators", "admins"


@dataclass(frozen=True, slots=True)
class Entry:
    name: str  # qualified name as registered ("mod queue"), or a context menu's name
    audience: str
    what: str
    example: str


# Context menus (type 3) are written as "Apps → Name".
ENTRIES = (
    Entry("search", EVERYONE, "Search the archive", "/search query:grain requisitions 1932"),
    Entry("cite", EVERYONE, "Quote passages of an article", "/cite article:… passage:12-14"),
    Entry(
        "article show", EVERYONE, "An article's forum post and summary", "/article show article:…"
    ),
    Entry("Find in archive", EVERYONE, "Find what a message talks about", "Apps → Find in archive"),
    Entry("guidelines", EVERYONE, "The community guidelines", "/guidelines"),
    Entry(
        "Report message", EVERYONE, "Ask moderators to look at a comment", "Apps → Report message"
    ),
    Entry("appeal", EVERYONE, "Appeal a moderation action on you", "/appeal case:12"),
    Entry("help", EVERYONE, "This list", "/help"),
    Entry("mod queue", MODERATORS, "Held comments, reports and appeals", "/mod queue kind:held"),
    Entry("mod review", MODERATORS, "Decide one", "/mod review item:case 12 decision:approve"),
    Entry("mod history", MODERATORS, "A member's record and points", "/mod history member:@name"),
    Entry("mod warn", MODERATORS, "Warn a member", "/mod warn member:@name reason:…"),
    Entry("mod timeout", MODERATORS, "Time a member out", "/mod timeout member:@name reason:…"),
    Entry("mod pardon", MODERATORS, "Undo a case's points", "/mod pardon case:12 reason:…"),
    Entry("mod thread", MODERATORS, "A thread's comments and actions", "/mod thread"),
    Entry("mod lock", MODERATORS, "Lock a thread (announced in it)", "/mod lock reason:…"),
    Entry("mod unlock", MODERATORS, "Unlock a thread", "/mod unlock reason:…"),
    Entry("mod slowmode", MODERATORS, "Slow a thread down", "/mod slowmode seconds:60 reason:…"),
    Entry("mod archive", MODERATORS, "Archive a thread", "/mod archive reason:…"),
    Entry("mod pin", MODERATORS, "Pin a comment", "/mod pin message:<link> reason:…"),
    Entry("rules list", MODERATORS, "Every civility rule", "/rules list"),
    Entry("rules show", MODERATORS, "One rule in full", "/rules show rule:personal-insults"),
    Entry("rules test", MODERATORS, "What the rules do with a text", "/rules test text:…"),
    Entry("rules backtest", MODERATORS, "Rules over past comments", "/rules backtest"),
    Entry(
        "setup",
        ADMINS,
        "Forum, mod-log and moderator role",
        "/setup forum:… modlog:… moderator_role:…",
    ),
    Entry(
        "article load",
        ADMINS,
        "Load an article file or web page",
        "/article load url:https://example.org/essay publish:True",
    ),
    Entry("article publish", ADMINS, "Publish an article", "/article publish article:…"),
    Entry(
        "article publish-all", ADMINS, "Publish every unpublished article", "/article publish-all"
    ),
    Entry("rules set", ADMINS, "Change the rules (YAML)", "/rules set reason:… file:rules.yaml"),
    Entry(
        "rules mode", ADMINS, "Enforce or trial a rule", "/rules mode rule:… mode:shadow reason:…"
    ),
    Entry("mod config", ADMINS, "Points, timeouts, automatic slow mode", "/mod config"),
    Entry("admin sync", ADMINS, "Re-register commands (owner)", "/admin sync"),
)
HEADINGS = {
    EVERYONE: "**For everyone**",
    MODERATORS: "**For moderators**",
    ADMINS: "**For admins**",
}


def registered_names(tree: app_commands.CommandTree[Any]) -> list[str]:
    """Every command's qualified name (slash subcommands included) and context menu names."""
    names: list[str] = []
    for command in tree.walk_commands():
        if isinstance(command, app_commands.Command):
            names.append(command.qualified_name)
        elif isinstance(command, app_commands.ContextMenu):
            names.append(command.name)
    for menu in tree.get_commands(type=discord.AppCommandType.message):
        if menu.name not in names:
            names.append(menu.name)
    return names


class HelpCog(commands.Cog):
    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot

    async def _audiences(self, interaction: discord.Interaction[Any]) -> list[str]:
        perms = interaction.permissions
        audiences = [EVERYONE]
        moderator = perms.administrator or perms.moderate_members or perms.manage_messages
        moderator = moderator or perms.manage_threads
        if not moderator and interaction.guild_id is not None:
            config = await self.bot.services.guilds.get(interaction.guild_id)
            roles = getattr(interaction.user, "roles", [])
            moderator = config is not None and any(r.id == config.moderator_role_id for r in roles)
        if moderator:
            audiences.append(MODERATORS)
        if perms.administrator or perms.manage_guild:
            audiences.append(ADMINS)
        return audiences

    @app_commands.command(name="help", description="What you can do here, with examples")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        audiences = await self._audiences(interaction)
        names = registered_names(self.bot.tree)
        known = {e.name for e in ENTRIES}
        blocks: list[str] = []
        for audience in audiences:
            lines = [HEADINGS[audience]]
            lines += [
                f"`{e.example}` — {e.what}"
                for e in ENTRIES
                if e.audience == audience and e.name in names
            ]
            blocks.append("\n".join(lines))
        if ADMINS in audiences:
            more = [f"`/{n}`" for n in names if n not in known]
            if more:
                blocks.append("**More**\n" + ", ".join(more))
        if MODERATORS not in audiences:
            blocks.append(
                "Moderators and admins see their own commands here too. Something wrong in a "
                "thread? Report the message; a moderator will look."
            )
        await send_pages(interaction, "What you can do here", pack(blocks))


async def setup(bot: ForumBot) -> None:
    await bot.add_cog(HelpCog(bot))
