"""/feeds (Manage Server): add, list, remove, pause, resume, interval; and the background round
that polls due feeds and delivers their entries. Glue only: the feeds service does the work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs.feeds.options import FeedOption
from cogs.feeds.port import DiscordFeedPort
from cogs.feeds.review import ReviewButton
from forumbot.services.feeds import FeedPollResult, describe_feed
from forumbot.services.publishing import shorten

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
ROUND_SECONDS = 60.0  # how often the scheduler holder looks for due feeds


class FeedsCog(commands.Cog):
    feeds = app_commands.Group(
        name="feeds",
        description="Feeds whose new entries become forum posts",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.port = DiscordFeedPort(bot)
        self.round_seconds = ROUND_SECONDS
        self._task: asyncio.Task[None] | None = None
        self._round = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stopping = False
        # Set while the poller waits for its next round (nothing of it is running).
        self.waiting = asyncio.Event()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReviewButton)
        self._task = asyncio.create_task(self._rounds(), name="feeds-poller")

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReviewButton)
        # The flag ends the loop even when a cancellation is lost on the way (the bot closes
        # its cogs before it counts as closed, so is_closed() cannot end it).
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _rounds(self) -> None:
        await self.bot.wait_until_ready()
        while not self._stopping and not self.bot.is_closed():
            try:
                await self.run_round()
            except Exception:
                log.exception("feeds round failed")
            if self._stopping:
                break
            # Not asyncio.wait_for: on Python 3.11 it returns normally, swallowing the
            # cancellation, when the wake-up and the cancellation (the bot stopping) arrive in
            # the same loop iteration; asyncio.timeout lets the cancellation through.
            self.waiting.set()
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.round_seconds):
                        await self._wake.wait()
            finally:
                self.waiting.clear()
            self._wake.clear()

    def wake(self) -> None:
        """Run a round now rather than at the next tick."""
        self._wake.set()

    async def run_round(self) -> list[FeedPollResult]:
        """Poll the due feeds of this process's guilds and deliver waiting entries; only the
        scheduler lease's holder does it (so one process posts, whatever the shard layout)."""
        if not self.bot.holds_scheduler():
            return []
        async with self._round:
            guilds = [g.id for g in self.bot.guilds]
            return await self.services.feed_poller.poll_due(self.port, guilds=guilds)

    # -- commands -------------------------------------------------------------------------------

    @feeds.command(name="add", description="Subscribe the forum to an RSS, Atom or JSON feed")
    @app_commands.describe(
        url="The feed's address (https://…)",
        tags="Tags for every article, comma-separated",
        publish="auto: post each new entry; review: send it to the mod-log first",
        interval="How often to check: 30m (default), 2h, 1d…",
        backfill="Also import the entries already in the feed",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 1, 2000],
        tags: app_commands.Range[str, 1, 200] | None = None,
        publish: Literal["auto", "review"] = "auto",
        interval: app_commands.Range[str, 1, 10] | None = None,
        backfill: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        await self.services.guilds.require(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await self.services.feeds.add(
            interaction.guild_id,
            url,
            tags=tags,
            mode=publish,
            interval=interval,
            backfill=backfill,
            actor=f"{interaction.user.name} ({interaction.user.id})",
        )
        when = (
            "its current entries are imported at the next check"
            if backfill
            else ("entries published from now on are imported")
        )
        await interaction.followup.send(
            f"Subscribed: {shorten(describe_feed(info), 300)}\n{when.capitalize()}.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        # Take the baseline (or the backfill) now rather than at the next round.
        self.wake()

    @feeds.command(name="list", description="This server's feeds")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_feeds(self, interaction: discord.Interaction[Any]) -> None:
        found = await self.services.feeds.feeds(interaction.guild_id)
        if not found:
            text = "No feeds yet: `/feeds add url:…`."
        else:
            lines = []
            for info in found:
                line = describe_feed(info) + f"\n  <{shorten(info.url, 200)}>"
                if info.last_error and not info.paused:
                    line += f"\n  last error: {shorten(info.last_error, 150)}"
                lines.append(line)
            text = shorten("\n".join(lines), 1990)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @feeds.command(name="remove", description="Unsubscribe (imported articles stay)")
    @app_commands.describe(feed="The feed")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction[Any], feed: FeedOption) -> None:
        info = await self.services.feeds.remove(interaction.guild_id, feed)
        await self._reply(interaction, f"Removed feed {info.id} ({info.title or info.url}).")

    @feeds.command(name="pause", description="Stop checking a feed until /feeds resume")
    @app_commands.describe(feed="The feed")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def pause(self, interaction: discord.Interaction[Any], feed: FeedOption) -> None:
        info = await self.services.feeds.pause(
            interaction.guild_id, feed, f"paused by {interaction.user.name}"
        )
        await self._reply(interaction, f"Paused: {describe_feed(info)}")

    @feeds.command(name="resume", description="Check a paused feed again")
    @app_commands.describe(feed="The feed")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def resume(self, interaction: discord.Interaction[Any], feed: FeedOption) -> None:
        info = await self.services.feeds.resume(interaction.guild_id, feed)
        await self._reply(interaction, f"Resumed: {describe_feed(info)}")

    @feeds.command(name="interval", description="How often a feed is checked")
    @app_commands.describe(feed="The feed", every="e.g. 15m, 2h, 1d")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def interval(
        self,
        interaction: discord.Interaction[Any],
        feed: FeedOption,
        every: app_commands.Range[str, 1, 10],
    ) -> None:
        info = await self.services.feeds.set_interval(interaction.guild_id, feed, every)
        await self._reply(interaction, f"Updated: {describe_feed(info)}")

    @staticmethod
    async def _reply(interaction: discord.Interaction[Any], text: str) -> None:
        await interaction.response.send_message(
            shorten(text, 1990), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
