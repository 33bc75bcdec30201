"""The feeds extension: /feeds (add, list, remove, pause, resume, interval) and the background
poller (`cog`), the review card with its Publish/Skip buttons (`review`), the FeedPort that
publishes, posts cards and notices through discord.py (`port`), and feed autocomplete
(`options`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.feeds.cog import FeedsCog

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot


async def setup(bot: ForumBot) -> None:
    await bot.add_cog(FeedsCog(bot))
