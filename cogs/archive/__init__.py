"""The archive extension: /article (publish, publish-all, load, show), /search, /cite and the
"Find in archive" message menu (`cog`). Its helpers: search results and their buttons
(`search_ui`), load previews and publish replies (`publish_ui`), the publishing ForumPort
implemented with discord.py (`forum`), article autocomplete (`options`), finding a quoted
passage (`find`), and answering before Discord's 3-second deadline (`deadline`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.archive.cog import ArchiveCog

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot


async def setup(bot: ForumBot) -> None:
    await bot.add_cog(ArchiveCog(bot))
