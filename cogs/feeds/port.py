"""The feeds service's FeedPort through discord.py: publish with the publishing outbox, post a
review card to the mod-log exactly once, post notices to the mod-log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from cogs.archive.forum import DiscordForumPort
from cogs.feeds.review import NO_MENTIONS, card_embed, card_entry, card_view
from forumbot.services.errors import PermissionDenied, UserFacingError

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot
    from forumbot.services.feeds import ReviewCard

# How far back in the mod-log a card posted before a crash is looked for.
CARD_LOOKBACK = 100


class DiscordFeedPort:
    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot
        self.forum = DiscordForumPort(bot)

    async def publish(self, guild_id: int, article_id: int) -> None:
        config = await self.bot.services.guilds.require(guild_id)
        await self.bot.services.publishing.publish(
            self.forum, guild_id=guild_id, forum_id=config.forum_channel_id, article_id=article_id
        )

    async def _modlog(self, guild_id: int) -> discord.abc.Messageable:
        config = await self.bot.services.guilds.require(guild_id)
        channel: Any = self.bot.get_channel(config.modlog_channel_id)
        try:
            if channel is None:
                channel = await self.bot.fetch_channel(config.modlog_channel_id)
        except discord.HTTPException as exc:
            raise UserFacingError(f"The mod-log channel cannot be reached ({exc.status}).") from exc
        if not isinstance(channel, discord.abc.Messageable):
            raise UserFacingError("The mod-log channel is not a text channel; run /setup again.")
        return channel

    async def post_review(self, guild_id: int, card: ReviewCard) -> int:
        """The card's id: one already in the mod-log for this entry (posted before a crash),
        else a new one sent with the entry's nonce."""
        channel = await self._modlog(guild_id)
        me = self.bot.user
        try:
            async for message in channel.history(limit=CARD_LOOKBACK):
                mine = me is not None and message.author.id == me.id
                if mine and card_entry(message) == card.entry_id:
                    return message.id
            sent = await channel.send(
                embed=card_embed(card),
                view=card_view(card.entry_id),
                nonce=card.nonce,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.Forbidden as exc:
            raise PermissionDenied("Discord refused: I cannot post in the mod-log.") from exc
        except discord.HTTPException as exc:
            raise UserFacingError(f"Discord failed posting a review card ({exc.status}).") from exc
        return sent.id

    async def notify(self, guild_id: int, text: str) -> None:
        channel = await self._modlog(guild_id)
        await channel.send(text[:2000], allowed_mentions=NO_MENTIONS)
