"""The moderation extension: /mod, /appeal and "Report message" (`cog`), /rules (`rules`), and
the watch on article threads that screens every comment (`watch`). The other modules are its
helpers: who may moderate (`access`), persistent buttons, embeds, modals, and the
ModerationPort implemented with discord.py (`port`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.moderation.cog import ModerationCog
from cogs.moderation.rules import RulesCog
from cogs.moderation.watch import ThreadWatchCog

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot


async def setup(bot: ForumBot) -> None:
    await bot.add_cog(ThreadWatchCog(bot))
    await bot.add_cog(ModerationCog(bot))
    await bot.add_cog(RulesCog(bot))
