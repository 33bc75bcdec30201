"""Moderation glue shared by cogs/moderation.py and cogs/rules.py: the port implemented with
discord.py, the moderator check, persistent buttons (DynamicItems whose custom_id carries the
case or item id, so they keep working after a restart), modals and embeds."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
import discord

from cogs._errors import reply_error
from forumbot.services.errors import PermissionDenied
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation_ledger import MEMBER_ACTIONS
from forumbot.services.moderation_notices import excerpt
from forumbot.services.moderation_port import Notice, ThreadChange
from forumbot.services.moderation_types import LedgerEntry, MessageCopy, QueueItem

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
EXTRAS_KEY = "moderation"
RESTORED_FOOTER = "Restored after review"
# Failures a port call reports as "did not work" rather than raising.
FAILED = (discord.HTTPException, aiohttp.ClientError, OSError, asyncio.TimeoutError)
IMPORTED_RE = re.compile(r"^💬 Reader comment \d+ by \*\*(?P<who>.+?)\*\* \(imported\)")

_COLOURS = {
    "hold": discord.Colour.orange(),
    "remove": discord.Colour.red(),
    "timeout": discord.Colour.dark_red(),
    "warn": discord.Colour.gold(),
    "nudge": discord.Colour.yellow(),
    "pardon": discord.Colour.green(),
    "restore": discord.Colour.green(),
}

# Which Discord permission stands in for the moderator role, per kind of command.
MEMBER_PERMISSION = "moderate_members"
THREAD_PERMISSION = "manage_threads"
RULES_PERMISSION = "manage_guild"


def moderation(client: Any) -> ModerationService:
    """The bot's one ModerationService (built on first use, shared by both cogs)."""
    extras: dict[str, Any] = client.services.extras
    service = extras.get(EXTRAS_KEY)
    if service is None:
        port = DiscordModerationPort(client)
        service = ModerationService(
            client.services.sessionmaker, port, server_name=port.server_name
        )
        extras[EXTRAS_KEY] = service
    assert isinstance(service, ModerationService)
    return service


async def require_moderator(interaction: discord.Interaction[Any], permission: str) -> int:
    """Pass for the configured moderator role or the matching Discord permission (checked by the
    bot itself, whatever the server's command permissions say). Returns the guild id."""
    guild = interaction.guild
    user = interaction.user
    if guild is None or not isinstance(user, discord.Member):
        raise PermissionDenied("This only works in a server.")
    perms = interaction.permissions
    if perms.administrator or getattr(perms, permission, False):
        return guild.id
    config = await interaction.client.services.guilds.get(guild.id)
    if config is not None and any(role.id == config.moderator_role_id for role in user.roles):
        return guild.id
    needed = permission.replace("_", " ").title()
    raise PermissionDenied(f"Only moderators can do this (the moderator role or {needed}).")


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


class DiscordModerationPort:
    """ModerationPort with discord.py. Failures are reported as False and logged at INFO: a
    closed DM or a missing permission is an expected outcome, recorded in the ledger."""

    def __init__(self, client: Any) -> None:
        self._client = client
        # Messages the bot re-posted on restore: never screened again.
        self.restored_ids: set[int] = set()

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
        except FAILED as exc:
            log.info(
                "could not delete message", extra={"message_id": message_id, "error": str(exc)}
            )
            return False
        return True

    async def restore_message(self, copy: MessageCopy, note: str) -> int | None:
        try:
            channel = await self._channel(copy.channel_id)
            if isinstance(channel, discord.Thread) and channel.archived:
                await channel.edit(archived=False)
            embed = discord.Embed(
                description=f"Comment by **{discord.utils.escape_markdown(copy.author_name)}**"
                + (f" (<@{copy.author_id}>)" if copy.author_id else "")
                + f", first posted {discord.utils.format_dt(copy.created_at)}",
                colour=discord.Colour.green(),
            )
            if copy.attachments:
                embed.add_field(
                    name="Attachments", value="\n".join(copy.attachments)[:1024], inline=False
                )
            embed.set_footer(text=f"{RESTORED_FOOTER} · {note}"[:2048])
            # The content goes out exactly as it was written; the attribution rides alongside.
            sent = await channel.send(
                content=copy.content or None, embed=embed, allowed_mentions=NO_MENTIONS
            )
        except FAILED as exc:
            log.info("could not restore message", extra={"error": str(exc)})
            return None
        self.restored_ids.add(sent.id)
        return int(sent.id)

    async def notify_member(self, notice: Notice) -> bool:
        try:
            user = self._client.get_user(notice.member_id) or await self._client.fetch_user(
                notice.member_id
            )
            embed = discord.Embed(
                title=notice.title[:256],
                description=notice.body[:4000],
                colour=discord.Colour.orange(),
            )
            view = discord.ui.View(timeout=None)
            if notice.appealable:
                view.add_item(AppealButton(notice.guild_id, notice.case_id))
            await user.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        except FAILED as exc:
            log.info("member DM failed", extra={"member": notice.member_id, "error": str(exc)})
            return False
        return True

    async def timeout_member(
        self, guild_id: int, member_id: int, until: datetime | None, reason: str
    ) -> bool:
        try:
            guild = self._client.get_guild(guild_id)
            member = guild.get_member(member_id) or await guild.fetch_member(member_id)
            await member.edit(timed_out_until=until, reason=reason[:512])
        except (*FAILED, AttributeError) as exc:
            log.info("timeout failed", extra={"member": member_id, "error": str(exc)})
            return False
        return True

    async def post_modlog(self, guild_id: int, entry: LedgerEntry, summary: str) -> None:
        config = await self._client.services.guilds.get(guild_id)
        if config is None:
            return
        try:
            channel = await self._channel(config.modlog_channel_id)
            await channel.send(
                embed=entry_embed(entry, summary),
                view=entry_view(entry),
                allowed_mentions=NO_MENTIONS,
            )
        except FAILED as exc:
            log.info("mod-log post failed", extra={"case": entry.id, "error": str(exc)})

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
        except FAILED as exc:
            log.info("thread change failed", extra={"thread": thread_id, "error": str(exc)})
            return False
        return True

    async def pin_message(self, channel_id: int, message_id: int, reason: str) -> bool:
        try:
            channel = await self._channel(channel_id)
            await channel.get_partial_message(message_id).pin(reason=reason[:512])
        except FAILED as exc:
            log.info("pin failed", extra={"message_id": message_id, "error": str(exc)})
            return False
        return True


# -- rendering ----------------------------------------------------------------------------------
def entry_embed(entry: LedgerEntry, summary: str) -> discord.Embed:
    embed = discord.Embed(
        title=f"Case #{entry.id} · {entry.kind}",
        description=summary[:4000],
        colour=_COLOURS.get(entry.kind, discord.Colour.blurple()),
        timestamp=entry.created_at,
    )
    if entry.message_copy is not None and entry.message_copy.content:
        embed.add_field(
            name="Message", value=excerpt(entry.message_copy.content, 1000), inline=False
        )
    if entry.expires_at is not None:
        embed.add_field(name="Until", value=discord.utils.format_dt(entry.expires_at))
    dm = entry.details.get("dm")
    if dm:
        embed.add_field(name="DM", value=dm)
    return embed


def entry_view(entry: LedgerEntry) -> discord.ui.View | discord.utils._MissingSentinel:
    if entry.member_id is None or entry.kind not in MEMBER_ACTIONS:
        return discord.utils.MISSING
    view = discord.ui.View(timeout=None)
    view.add_item(PardonButton(entry.id))
    view.add_item(EscalateButton(entry.id))
    view.add_item(HistoryButton(entry.member_id))
    return view


def history_embed(member_name: str, record: Any) -> discord.Embed:
    embed = discord.Embed(
        title=f"Moderation history: {member_name}"[:256],
        description=f"Current points: **{record.points:.1f}** (timeout at "
        f"{record.policy.timeout_threshold:g}; half-life {record.policy.half_life_hours:g} h)",
        colour=discord.Colour.blurple(),
    )
    for entry in record.entries[-20:]:
        mark = " (pardoned)" if entry.id in record.pardoned else ""
        who = "auto" if entry.actor_id is None else f"<@{entry.actor_id}>"
        what = entry.guideline or entry.reason or ""
        embed.add_field(
            name=f"#{entry.id} {entry.kind}{mark}"[:256],
            value=f"{discord.utils.format_dt(entry.created_at, 'R')} · {who} · "
            f"{excerpt(what, 200)}"[:1024],
            inline=False,
        )
    if not record.entries:
        embed.add_field(name="Clean record", value="No actions on record.")
    return embed


def queue_embed(items: list[QueueItem]) -> discord.Embed:
    embed = discord.Embed(title=f"Review queue: {len(items)} open", colour=discord.Colour.orange())
    for item in items[:25]:
        who = f"<@{item.member_id}>" if item.member_id else "bot output"
        state = f"claimed by <@{item.claimed_by}>" if item.claimed_by else "open"
        text = excerpt(item.message_copy.content, 300) if item.message_copy else ""
        where = f" in <#{item.thread_id}>" if item.thread_id else ""
        embed.add_field(
            name=f"#{item.id} {item.kind} · {state}"[:256],
            value=f"{who}{where}: {excerpt(item.reason or '', 200)}\n> {text}"[:1024],
            inline=False,
        )
    if not items:
        embed.description = "Nothing to review."
    return embed


def queue_view(items: list[QueueItem]) -> discord.ui.View:
    """One row of buttons per item (Discord allows five rows)."""
    view = discord.ui.View(timeout=None)
    for row, item in enumerate(items[:5]):
        view.add_item(DecideButton(item.id, "claim", row))
        approve = "Grant" if item.kind == "appeal" else "Approve"
        view.add_item(DecideButton(item.id, "approve", row, label=approve))
        remove = "Deny" if item.kind == "appeal" else "Remove"
        view.add_item(DecideButton(item.id, "remove", row, label=remove))
        if item.kind != "appeal" and item.member_id is not None:
            view.add_item(DecideButton(item.id, "timeout", row))
    return view


# -- interactions: modals and persistent buttons ------------------------------------------------
Submit = Callable[[discord.Interaction[Any], str], Awaitable[None]]


class TextModal(discord.ui.Modal):
    """One paragraph input; hands the text to `submit`. Errors reach the user as one line."""

    def __init__(
        self,
        title: str,
        label: str,
        submit: Submit,
        *,
        default: str | None = None,
        max_length: int = 1000,
        required: bool = True,
    ) -> None:
        super().__init__(title=title[:45], timeout=600)
        self._submit = submit
        self.text: discord.ui.TextInput[TextModal] = discord.ui.TextInput(
            label=label[:45],
            style=discord.TextStyle.paragraph,
            default=default,
            max_length=max_length,
            required=required,
            custom_id="text",
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self._submit(interaction, self.text.value)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await reply_error(interaction, error)


async def _guard(interaction: discord.Interaction[Any], work: Awaitable[None]) -> None:
    """DynamicItem callbacks: expected errors become a short reply, bugs a logged one."""
    try:
        await work
    except Exception as exc:
        await reply_error(interaction, exc)


async def reply(interaction: discord.Interaction[Any], text: str, **kwargs: Any) -> None:
    kwargs.setdefault("ephemeral", True)
    if interaction.response.is_done():
        await interaction.followup.send(text, allowed_mentions=NO_MENTIONS, **kwargs)
    else:
        await interaction.response.send_message(text, allowed_mentions=NO_MENTIONS, **kwargs)


class PardonButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mod:pardon:(?P<case>\d+)"
):
    def __init__(self, case_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Pardon", style=discord.ButtonStyle.success, custom_id=f"mod:pardon:{case_id}"
            )
        )
        self.case_id = case_id

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> PardonButton:
        return cls(int(match["case"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            guild_id = await require_moderator(interaction, MEMBER_PERMISSION)

            async def submit(modal_interaction: discord.Interaction[Any], reason: str) -> None:
                entry = await moderation(interaction.client).pardon(
                    guild_id, self.case_id, actor_id=modal_interaction.user.id, reason=reason
                )
                await reply(modal_interaction, f"Case #{self.case_id} pardoned (#{entry.id}).")

            await interaction.response.send_modal(
                TextModal(f"Pardon case #{self.case_id}", "Why?", submit)
            )

        await _guard(interaction, work())


class EscalateButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mod:escalate:(?P<case>\d+)"
):
    def __init__(self, case_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Escalate",
                style=discord.ButtonStyle.danger,
                custom_id=f"mod:escalate:{case_id}",
            )
        )
        self.case_id = case_id

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> EscalateButton:
        return cls(int(match["case"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            guild_id = await require_moderator(interaction, MEMBER_PERMISSION)

            async def submit(modal_interaction: discord.Interaction[Any], reason: str) -> None:
                entry = await moderation(interaction.client).escalate(
                    guild_id, self.case_id, actor_id=modal_interaction.user.id, reason=reason
                )
                seconds = int(entry.details.get("seconds", 0))
                await reply(
                    modal_interaction,
                    f"Escalated: <@{entry.member_id}> timed out for {seconds // 60} min "
                    f"(case #{entry.id}).",
                )

            await interaction.response.send_modal(
                TextModal(f"Escalate case #{self.case_id}", "Why?", submit)
            )

        await _guard(interaction, work())


class HistoryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mod:history:(?P<member>\d+)"
):
    def __init__(self, member_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="History",
                style=discord.ButtonStyle.secondary,
                custom_id=f"mod:history:{member_id}",
            )
        )
        self.member_id = member_id

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> HistoryButton:
        return cls(int(match["member"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
            record = await moderation(interaction.client).history(guild_id, self.member_id)
            name = str(self.member_id)
            if interaction.guild is not None:
                member = interaction.guild.get_member(self.member_id)
                name = member.display_name if member else name
            await interaction.response.send_message(
                embed=history_embed(name, record), ephemeral=True, allowed_mentions=NO_MENTIONS
            )

        await _guard(interaction, work())


class DecideButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"mod:decide:(?P<item>\d+):(?P<what>claim|approve|remove|timeout)",
):
    def __init__(self, item_id: int, what: str, row: int = 0, label: str | None = None) -> None:
        styles = {
            "claim": discord.ButtonStyle.secondary,
            "approve": discord.ButtonStyle.success,
            "remove": discord.ButtonStyle.danger,
            "timeout": discord.ButtonStyle.danger,
        }
        super().__init__(
            discord.ui.Button(
                label=label or (f"Claim #{item_id}" if what == "claim" else what.title()),
                style=styles[what],
                custom_id=f"mod:decide:{item_id}:{what}",
                row=row,
            )
        )
        self.item_id = item_id
        self.what = what

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> DecideButton:
        return cls(int(match["item"]), match["what"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
            service = moderation(interaction.client)
            if self.what == "claim":
                await service.claim(guild_id, self.item_id, moderator_id=interaction.user.id)
                await reply(interaction, f"You claimed review item #{self.item_id}.")
                return
            decision = await service.decide(
                guild_id,
                self.item_id,
                moderator_id=interaction.user.id,
                decision=self.what,
                reason="",
            )
            await reply(interaction, decision_text(decision))

        await _guard(interaction, work())


def decision_text(decision: Any) -> str:
    item = decision.item
    text = f"Review item #{item.id} ({item.kind}) decided: {item.decision}."
    if decision.restored_message_id:
        text += " The comment is back in the thread."
    if decision.dm_delivered is False:
        text += " The member's DMs are closed; they were not told."
    return text


class AppealButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"mod:appeal:(?P<guild>\d+):(?P<case>\d+)",
):
    """In the member's DM: opens the appeal form (works outside the server)."""

    def __init__(self, guild_id: int, case_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Appeal",
                style=discord.ButtonStyle.primary,
                custom_id=f"mod:appeal:{guild_id}:{case_id}",
            )
        )
        self.guild_id = guild_id
        self.case_id = case_id

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> AppealButton:
        return cls(int(match["guild"]), int(match["case"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _guard(interaction, open_appeal(interaction, self.guild_id, self.case_id))


async def open_appeal(interaction: discord.Interaction[Any], guild_id: int, case_id: int) -> None:
    async def submit(modal_interaction: discord.Interaction[Any], text: str) -> None:
        item = await moderation(interaction.client).appeal(
            guild_id, case_id, member_id=modal_interaction.user.id, text=text
        )
        await reply(
            modal_interaction,
            f"Appeal #{item.id} filed for case #{case_id}. A moderator other than the one who "
            "acted will decide, and you will get a DM.",
        )

    await interaction.response.send_modal(
        TextModal(f"Appeal case #{case_id}", "Why should it be reconsidered?", submit)
    )


DYNAMIC_ITEMS = (PardonButton, EscalateButton, HistoryButton, DecideButton, AppealButton)
