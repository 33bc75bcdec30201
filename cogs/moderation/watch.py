"""Watching article threads: every new comment, edit, thread title (new or renamed) and the bot's
own relayed text goes through the moderation pipeline; a loop ends automatic slow modes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from cogs.moderation.port import RESTORED_FOOTER, copy_of, moderation, title_copy
from forumbot.services.moderation.types import MessageCopy

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot

log = logging.getLogger(__name__)

SLOWMODE_SWEEP_SECONDS = 30.0
# How often the scheduler holder looks for outbox rows left undone (a crash, a retry due).
OUTBOX_DRAIN_SECONDS = 5.0
# Done rows are pruned once per this many drains (about an hour).
OUTBOX_PRUNE_EVERY = 720
# Messages per thread a catch-up after a re-identify screens, at most (100 per REST page).
CATCH_UP_LIMIT = 1000
THREADS = (discord.Thread, app_commands.AppCommandThread)
COMMENT_TYPES = (discord.MessageType.default, discord.MessageType.reply)
COMMAND_ANSWER_TYPES = (
    discord.MessageType.chat_input_command,
    discord.MessageType.context_menu_command,
)


async def is_article_thread(bot: ForumBot, channel: Any) -> bool:
    """A thread (cached, or as an interaction resolved it) in the guild's article forum."""
    if not isinstance(channel, THREADS):
        return False
    guild_id = getattr(channel, "guild_id", None) or getattr(channel.guild, "id", None)
    if guild_id is None:
        return False
    config = await bot.services.guilds.get(guild_id)
    return config is not None and channel.parent_id == config.forum_channel_id


class ThreadWatchCog(commands.Cog):
    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot
        self.service = moderation(bot)

    async def cog_load(self) -> None:
        self.sweep_slowmodes.start()
        self.drain_outbox.start()

    async def cog_unload(self) -> None:
        self.sweep_slowmodes.cancel()
        self.drain_outbox.cancel()

    def _own_id(self) -> int | None:
        return getattr(self.bot.user, "id", None)

    def _skip_own(self, message: discord.Message) -> bool:
        """Our own mod notes and restored comments are never screened again."""
        if message.author.id != self._own_id():
            return False
        if message.id in getattr(self.service.port, "restored_ids", ()):
            return True
        return any((e.footer.text or "").startswith(RESTORED_FOOTER) for e in message.embeds) or (
            not message.content.strip()
        )

    async def _fresh(self, guild_id: int) -> None:
        """Before screening: drop cached rules and settings another process has changed."""
        try:
            await self.bot.services.stale.check(guild_id)
        except Exception:
            log.warning("cache version check failed", extra={"guild_id": guild_id})

    async def _screen(self, copy: MessageCopy) -> None:
        try:
            await self.service.screen_durably(copy)
        except Exception:
            log.exception("moderation pipeline failed", extra={"message_id": copy.message_id})

    def _is_comment(self, message: discord.Message) -> bool:
        own = message.author.id == self._own_id()
        # The bot's public answers to commands (a /cite in a thread) come through the
        # interaction webhook; they are relayed text like any other and are screened too.
        kinds = COMMENT_TYPES + (COMMAND_ANSWER_TYPES if own else ())
        if message.type not in kinds or (message.webhook_id is not None and not own):
            return False
        return not (message.author.bot and not own)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or not self._is_comment(message):
            return
        if isinstance(message.channel, THREADS):
            await self._fresh(message.guild.id)
        if self._skip_own(message) or not await is_article_thread(self.bot, message.channel):
            return
        await self._screen(copy_of(message))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = payload.message
        if message.guild is None or message.author.bot:
            return
        before = payload.cached_message
        if before is not None and before.content == message.content:
            return  # an embed or pin update, not an edit of the text
        if "content" not in payload.data:
            return
        await self._fresh(message.guild.id)
        if await is_article_thread(self.bot, message.channel):
            await self._screen(copy_of(message, "edit"))

    async def _screen_title(self, thread: discord.Thread) -> None:
        if await is_article_thread(self.bot, thread):
            await self._screen(title_copy(thread, bot_id=self._own_id()))

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        await self._screen_title(thread)

    @commands.Cog.listener()
    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        if before.name != after.name:
            await self._screen_title(after)

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """After every IDENTIFY (a start, a restart after a crash, a session Discord would not
        resume) the events in between are gone: screen what article threads received since the
        last comment screened there. Claims make a comment seen twice count once."""
        for guild in [g for g in self.bot.guilds if g.shard_id == shard_id]:
            try:
                await self._catch_up(guild)
            except Exception:
                log.exception("catching up on missed comments failed", extra={"guild": guild.id})

    async def _catch_up(self, guild: discord.Guild) -> None:
        config = await self.bot.services.guilds.get(guild.id)
        if config is None:
            return
        last_seen = await self.service.last_seen(guild.id)
        # Threads with nothing screened yet: from when a holder that died took the shard over.
        since = self.bot.catch_up_since
        fallback = discord.utils.time_snowflake(since) if since is not None else None
        screened = 0
        for thread in guild.threads:
            after = last_seen.get(thread.id, fallback)
            if thread.parent_id != config.forum_channel_id or after is None:
                continue
            async for message in thread.history(
                limit=CATCH_UP_LIMIT, after=discord.Object(after), oldest_first=True
            ):
                if self._is_comment(message) and not self._skip_own(message):
                    await self._screen(copy_of(message))
                    screened += 1
        if screened:
            log.info("caught up on missed comments", extra={"guild": guild.id, "count": screened})

    @tasks.loop(seconds=SLOWMODE_SWEEP_SECONDS)
    async def sweep_slowmodes(self) -> None:
        if not self.bot.holds_scheduler():
            return  # another process holds the scheduler lease and sweeps for every shard
        try:
            await self.service.threads.expire_slowmodes()
        except Exception:
            log.exception("slow-mode sweep failed")

    @sweep_slowmodes.before_loop
    async def _before_sweep(self) -> None:
        await self.bot.wait_until_ready()

    @tasks.loop(seconds=OUTBOX_DRAIN_SECONDS)
    async def drain_outbox(self) -> None:
        """Side effects of actions that their process did not finish (it died, Discord or the
        database failed): done once, by the scheduler holder, for every shard."""
        if not self.bot.holds_scheduler():
            return
        outbox = self.service.outbox
        try:
            await outbox.drain()
            if self.drain_outbox.current_loop % OUTBOX_PRUNE_EVERY == 0:
                await outbox.prune()
        except Exception:
            # The database is away: the rows stay, and the next round tries again.
            log.info("outbox drain failed; retrying", exc_info=True)

    @drain_outbox.before_loop
    async def _before_drain(self) -> None:
        await self.bot.wait_until_ready()
