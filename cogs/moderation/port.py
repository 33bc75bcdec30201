"""ModerationPort implemented with discord.py (delete, restore, DM, timeout, mod-log, thread
changes, pins), the conversion of a Discord message into a MessageCopy, and the bot's one
ModerationService built on it."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from typing import Any

import aiohttp
import discord

from cogs.moderation.access import EXTRAS_KEY
from cogs.moderation.buttons import appeal_view, entry_view
from cogs.moderation.embeds import entry_embed
from cogs.moderation.forms import NO_MENTIONS
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.port import Notice, PortUnavailable, ThreadChange
from forumbot.services.moderation.types import LedgerEntry, MessageCopy

log = logging.getLogger(__name__)

RESTORED_FOOTER = "Restored after review"
MOD_NOTE_FOOTER = "Moderation"
# Failures a port call reports as "did not work" rather than raising.
FAILED = (discord.HTTPException, aiohttp.ClientError, OSError, asyncio.TimeoutError)
# What the methods catch: those, and RuntimeError, which discord.py raises once the bot is
# closing (its HTTP session is closed) and which _failure re-raises at any other time.
CAUGHT = (*FAILED, RuntimeError)
# Of those, the ones worth trying again later: Discord's 5xx, a rate limit past discord.py's own
# retries, the network. A 403 or 404 will say the same next time.
TRANSIENT = (discord.DiscordServerError, aiohttp.ClientError, OSError, asyncio.TimeoutError)
IMPORTED_RE = re.compile(r"^💬 Reader comment \d+ by \*\*(?P<who>.+?)\*\* \(imported\)")


def moderation(client: Any) -> ModerationService:
    """The bot's one ModerationService (built on first use, shared by both cogs)."""
    extras: dict[str, Any] = client.services.extras
    service = extras.get(EXTRAS_KEY)
    if service is None:
        port = DiscordModerationPort(client)
        effects = DiscordModerationPort(client, strict=True)
        # Restores are made by the outbox's port; the watch asks `port` what it re-posted.
        effects.restored_ids = port.restored_ids
        service = ModerationService(
            client.services.sessionmaker,
            port,
            server_name=port.server_name,
            holder=client.services.holder,
            effects_port=effects,
        )
        # Another process changed a guild's rules or policy: drop this process's copies.
        client.services.stale.on_stale.append(service.forget_guild)
        extras[EXTRAS_KEY] = service
    assert isinstance(service, ModerationService)
    return service


def copy_of(message: discord.Message, source: str | None = None) -> MessageCopy:
    """Everything needed to judge or restore the message. The bot's own text is "relay", or
    "imported" for a relayed reader comment (attributed to its original author)."""
    assert message.guild is not None
    channel = message.channel
    author_name = getattr(message.author, "display_name", None) or message.author.name
    author_id: int | None = message.author.id
    if message.author.bot:
        author_id = None
        imported = IMPORTED_RE.match(message.content)
        if imported:
            source, author_name = "imported", imported["who"]
        else:
            source = "relay"
    return MessageCopy(
        guild_id=message.guild.id,
        channel_id=channel.id,
        message_id=message.id,
        author_id=author_id,
        author_name=author_name,
        content=message.content,
        created_at=message.created_at,
        thread_id=channel.id if isinstance(channel, discord.Thread) else None,
        parent_id=getattr(channel, "parent_id", None),
        edited_at=message.edited_at,
        attachments=tuple(a.url for a in message.attachments),
        source=source or "message",
        jump_url=message.jump_url,
    )


def title_copy(thread: discord.Thread, *, bot_id: int | None) -> MessageCopy:
    """A thread's title as text to screen; an article thread the bot opened has no member."""
    is_bot = thread.owner_id == bot_id
    return MessageCopy(
        guild_id=thread.guild.id,
        channel_id=thread.id,
        message_id=None,
        author_id=None if is_bot else thread.owner_id,
        author_name="forumbot" if is_bot else str(thread.owner_id),
        content=thread.name,
        created_at=thread.created_at or discord.utils.utcnow(),
        thread_id=thread.id,
        parent_id=thread.parent_id,
        source="title",
    )


def _restored_embed(copy: MessageCopy, note: str) -> discord.Embed:
    """The attribution that rides alongside a restored comment's unchanged text."""
    embed = discord.Embed(
        description=f"Comment by **{discord.utils.escape_markdown(copy.author_name)}**"
        + (f" (<@{copy.author_id}>)" if copy.author_id else "")
        + f", first posted {discord.utils.format_dt(copy.created_at)}",
        colour=discord.Colour.green(),
    )
    if copy.attachments:
        embed.add_field(name="Attachments", value="\n".join(copy.attachments)[:1024], inline=False)
    embed.set_footer(text=f"{RESTORED_FOOTER} · {note}"[:2048])
    return embed


class DiscordModerationPort:
    """ModerationPort with discord.py. Failures are reported as False and logged at INFO: a
    closed DM or a missing permission is an expected outcome, recorded in the ledger."""

    def __init__(self, client: Any, *, strict: bool = False) -> None:
        self._client = client
        # The outbox's port: transient failures raise PortUnavailable (the row is retried)
        # instead of being reported as "did not work".
        self.strict = strict
        # Messages the bot re-posted on restore: never screened again.
        self.restored_ids: set[int] = set()

    def _failure(self, exc: BaseException) -> None:
        """Sort a failed call: a RuntimeError is a bug unless the bot is stopping (discord.py's
        session is closed); in strict mode, a failure worth retrying becomes PortUnavailable."""
        stopping = isinstance(exc, RuntimeError)
        if stopping and not self._client.is_closed():
            raise exc
        if not self.strict:
            return
        rate_limited = isinstance(exc, discord.HTTPException) and exc.status == 429
        if stopping or rate_limited or isinstance(exc, TRANSIENT):
            raise PortUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc

    def server_name(self, guild_id: int) -> str:
        guild = self._client.get_guild(guild_id)
        return guild.name if guild is not None else "the server"

    async def _channel(self, channel_id: int) -> Any:
        channel = self._client.get_channel(channel_id)
        if channel is None:
            channel = await self._client.fetch_channel(channel_id)
        return channel

    async def delete_message(self, channel_id: int, message_id: int, reason: str) -> bool:
        try:
            await self._client.http.delete_message(channel_id, message_id, reason=reason[:512])
        except discord.NotFound:
            return True  # already gone
        except CAUGHT as exc:
            self._failure(exc)
            log.info(
                "could not delete message", extra={"message_id": message_id, "error": str(exc)}
            )
            return False
        return True

    async def restore_message(
        self, copy: MessageCopy, note: str, *, nonce: str | None = None
    ) -> int | None:
        try:
            channel = await self._channel(copy.channel_id)
            if isinstance(channel, discord.Thread) and channel.archived:
                await channel.edit(archived=False)
            # The content goes out exactly as it was written; the attribution rides alongside.
            sent = await channel.send(
                content=copy.content or None,
                embed=_restored_embed(copy, note),
                allowed_mentions=NO_MENTIONS,
                nonce=nonce,
            )
        except CAUGHT as exc:
            self._failure(exc)
            log.info("could not restore message", extra={"error": str(exc)})
            return None
        self.restored_ids.add(sent.id)
        return int(sent.id)

    async def notify_member(self, notice: Notice, *, nonce: str | None = None) -> bool:
        try:
            user = self._client.get_user(notice.member_id) or await self._client.fetch_user(
                notice.member_id
            )
            embed = discord.Embed(
                title=notice.title[:256],
                description=notice.body[:4000],
                colour=discord.Colour.orange(),
            )
            where = self._thread_line(notice)
            if where:
                embed.add_field(name="Thread", value=where[:1024], inline=False)
            view = (
                appeal_view(notice.guild_id, notice.case_id)
                if notice.appealable
                else discord.ui.View(timeout=None)
            )
            await user.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS, nonce=nonce)
        except CAUGHT as exc:
            self._failure(exc)
            log.info("member DM failed", extra={"member": notice.member_id, "error": str(exc)})
            return False
        return True

    def _thread_line(self, notice: Notice) -> str | None:
        """The thread's name and a link to it (the comment itself may be gone)."""
        if notice.thread_id is None:
            return None
        thread = self._client.get_channel(notice.thread_id)
        name = getattr(thread, "name", None) or "the article thread"
        link = f"https://discord.com/channels/{notice.guild_id}/{notice.thread_id}"
        return f"**{discord.utils.escape_markdown(name)}** — {link}"

    async def timeout_member(
        self, guild_id: int, member_id: int, until: datetime | None, reason: str
    ) -> bool:
        try:
            # Without a gateway (the dashboard's REST client) nothing is cached: fetch.
            guild = self._client.get_guild(guild_id) or await self._client.fetch_guild(guild_id)
            member = guild.get_member(member_id) or await guild.fetch_member(member_id)
            await member.edit(timed_out_until=until, reason=reason[:512])
        except (*CAUGHT, AttributeError) as exc:
            self._failure(exc)
            log.info("timeout failed", extra={"member": member_id, "error": str(exc)})
            return False
        return True

    async def post_modlog(
        self, guild_id: int, entry: LedgerEntry, summary: str, *, nonce: str | None = None
    ) -> None:
        # The mod-log channel may have just been changed on the dashboard by another process.
        try:
            await self._client.services.stale.check(guild_id)
        except Exception as exc:
            log.info("cache version check failed", extra={"guild_id": guild_id, "error": str(exc)})
        config = await self._client.services.guilds.get(guild_id)
        if config is None:
            return
        try:
            channel = await self._channel(config.modlog_channel_id)
            await channel.send(
                embed=entry_embed(entry, summary),
                view=entry_view(entry),
                allowed_mentions=NO_MENTIONS,
                nonce=nonce,
            )
        except CAUGHT as exc:
            self._failure(exc)
            log.info("mod-log post failed", extra={"entry": entry.id, "error": str(exc)})

    async def post_modlog_text(self, guild_id: int, text: str, *, nonce: str | None = None) -> None:
        # Guild settings come from the cache: this is said while the database is away.
        config = await self._client.services.guilds.get(guild_id)
        if config is None:
            return
        try:
            channel = await self._channel(config.modlog_channel_id)
            await channel.send(text[:2000], allowed_mentions=NO_MENTIONS, nonce=nonce)
        except CAUGHT as exc:
            self._failure(exc)
            log.info("mod-log post failed", extra={"error": str(exc)})

    async def change_thread(self, thread_id: int, change: ThreadChange, reason: str) -> bool:
        fields: dict[str, Any] = {}
        if change.locked is not None:
            fields["locked"] = change.locked
        if change.archived is not None:
            fields["archived"] = change.archived
        if change.slowmode_seconds is not None:
            fields["slowmode_delay"] = change.slowmode_seconds
        try:
            thread = await self._channel(thread_id)
            if thread.archived and not fields.get("archived", False):
                fields["archived"] = False  # an archived thread must be reopened to change
            await thread.edit(**fields, reason=reason[:512])
        except CAUGHT as exc:
            self._failure(exc)
            log.info("thread change failed", extra={"thread": thread_id, "error": str(exc)})
            return False
        return True

    async def pin_message(self, channel_id: int, message_id: int, reason: str) -> bool:
        try:
            channel = await self._channel(channel_id)
            await channel.get_partial_message(message_id).pin(reason=reason[:512])
        except CAUGHT as exc:
            self._failure(exc)
            log.info("pin failed", extra={"message_id": message_id, "error": str(exc)})
            return False
        return True

    async def post_in_thread(self, thread_id: int, text: str, *, nonce: str | None = None) -> bool:
        # An embed without content: the watch never screens the bot's own notes as comments.
        embed = discord.Embed(description=text[:4000], colour=discord.Colour.blurple())
        embed.set_footer(text=MOD_NOTE_FOOTER)
        try:
            thread = await self._channel(thread_id)
            await thread.send(embed=embed, allowed_mentions=NO_MENTIONS, nonce=nonce)
        except CAUGHT as exc:
            self._failure(exc)
            log.info("thread announcement failed", extra={"thread": thread_id, "error": str(exc)})
            return False
        return True
