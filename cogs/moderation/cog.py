"""Moderation on Discord: /mod, /appeal and the "Report message" context menu (thin: parse, call
ModerationService, render)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs._pages import ACTION_ROWS, Page, pack, send_pages
from cogs.moderation.access import (
    MEMBER_PERMISSION,
    RULES_PERMISSION,
    THREAD_PERMISSION,
    require_moderator,
)
from cogs.moderation.buttons import DYNAMIC_ITEMS, item_actions, open_appeal
from cogs.moderation.embeds import (
    appeal_filed_text,
    decision_text,
    queue_block,
    queue_heading,
    send_history,
    thread_blocks,
)
from cogs.moderation.forms import NO_MENTIONS, TextModal
from cogs.moderation.port import copy_of, moderation
from cogs.moderation.watch import THREADS, is_article_thread
from forumbot.services.errors import InvalidInput
from forumbot.services.moderation.ladder import format_duration
from forumbot.services.moderation.notices import excerpt
from forumbot.services.moderation.numbers import ITEM_NAMES

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot

# A `thread:` option is resolved from the interaction itself: discord.Thread would need the
# thread in the cache, and archived threads are not (so archived ones could not be unarchived).
ThreadOption = app_commands.AppCommandThread


def _parse_message_id(value: str) -> int:
    """A message id or a jump link."""
    tail = value.strip().rstrip("/").rsplit("/", 1)[-1]
    if not tail.isdigit():
        raise InvalidInput("Give a message id or a message link.")
    return int(tail)


class ModerationCog(commands.Cog):
    mod = app_commands.Group(
        name="mod",
        description="Moderation: review queue, member actions, thread controls",
        guild_only=True,
        default_permissions=discord.Permissions(moderate_members=True),
    )

    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot
        self.service = moderation(bot)
        self.report_menu = app_commands.ContextMenu(
            name="Report message", callback=self.report_message
        )
        self.report_menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.tree.add_command(self.report_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.report_menu.name, type=self.report_menu.type)
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # -- members: report and appeal ------------------------------------------------------------
    async def report_message(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        if message.guild is None:
            raise InvalidInput("Only messages in a server can be reported.")
        copy = copy_of(message)

        async def submit(modal_interaction: discord.Interaction[Any], reason: str) -> None:
            item = await self.service.desk.report(
                copy, reporter_id=modal_interaction.user.id, reason=reason
            )
            await modal_interaction.response.send_message(
                f"Thanks: {item.label.lower()} is in the moderators' review queue.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

        await interaction.response.send_modal(TextModal("Report message", "What is wrong?", submit))

    @app_commands.command(name="appeal", description="Appeal a moderation action taken on you")
    @app_commands.describe(
        case="The case number from the bot's message to you (pick from the list)",
        reason="Why it should be reconsidered (leave empty to write it in a form)",
    )
    @app_commands.guild_only()
    async def appeal(
        self, interaction: discord.Interaction[Any], case: int, reason: str | None = None
    ) -> None:
        assert interaction.guild_id is not None
        # Checked before the member writes anything: the case exists, is theirs, is open.
        target = await self.service.desk.appeal_target(
            interaction.guild_id, member_id=interaction.user.id, number=case
        )
        if reason is None:
            await open_appeal(interaction, target)
            return
        item = await self.service.desk.appeal(
            interaction.guild_id, target.id, member_id=interaction.user.id, text=reason
        )
        await interaction.response.send_message(
            appeal_filed_text(item), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @appeal.autocomplete("case")
    async def _case_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        cases = await self.service.desk.appealable_cases(interaction.guild_id, interaction.user.id)
        choices = []
        for c in reversed(cases):
            if c.case_number is None or current.strip("# ") not in str(c.case_number):
                continue
            said = c.message_copy.content if c.message_copy else ""
            name = f"#{c.case_number} {c.kind}: {c.guideline or c.reason or ''}"
            if said:
                name += f" — “{excerpt(said, 60)}”"
            choices.append(app_commands.Choice(name=name[:100], value=c.case_number))
        return choices[:25]

    # -- /mod: review queue --------------------------------------------------------------------
    @mod.command(name="queue", description="Open review items: held comments, reports, appeals")
    @app_commands.describe(
        kind="Only held comments, reports or appeals",
        member="Only items about this member",
        thread="Only items in this article thread",
    )
    async def queue(
        self,
        interaction: discord.Interaction[Any],
        kind: Literal["held", "report", "appeal"] | None = None,
        member: discord.Member | None = None,
        thread: ThreadOption | None = None,
    ) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        items = await self.service.desk.queue(
            guild_id,
            kind=kind,
            member_id=member.id if member else None,
            thread_id=thread.id if thread else None,
        )
        filters = ", ".join(
            f
            for f in (
                kind and f"kind {kind}",
                member and f"member {member.display_name}",
                thread and f"thread {thread.name}",
            )
            if f
        )
        head = queue_heading(items, filters)
        pages = [
            Page(
                "\n\n".join([head, *(queue_block(i) for i in chunk)]),
                [a for row, i in enumerate(chunk) for a in item_actions(i, row)],
            )
            for chunk in (items[n : n + ACTION_ROWS] for n in range(0, len(items), ACTION_ROWS))
        ] or [Page(f"{head}\n\nNothing to review.")]
        await send_pages(
            interaction, "Review queue", pages, colour=discord.Colour.orange(), file_after=1000
        )

    @mod.command(name="review", description="Decide a review item")
    @app_commands.describe(
        item="What to decide, as the queue names it: case 12, report 4, appeal 3",
        decision="approve / remove / timeout a held comment or report; grant / deny an appeal",
        reason="Why (logged; an appeal's reason is shown to the member)",
    )
    async def review(
        self,
        interaction: discord.Interaction[Any],
        item: str,
        decision: Literal["approve", "remove", "timeout", "grant", "deny", "claim"],
        reason: str | None = None,
    ) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        target = await self.service.desk.queue_item_by_ref(guild_id, item)
        if decision == "claim":
            claimed = await self.service.desk.claim(
                guild_id, target.id, moderator_id=interaction.user.id
            )
            text = f"You claimed {claimed.label}."
        else:
            result = await self.service.desk.decide(
                guild_id,
                target.id,
                moderator_id=interaction.user.id,
                decision=decision,
                reason=reason or "",
            )
            text = decision_text(result)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @review.autocomplete("item")
    async def _item_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        items = await self.service.desk.queue(interaction.guild_id)
        needle = current.casefold().replace("#", "").strip()
        choices = []
        for i in items:
            ref = f"{ITEM_NAMES[i.kind]} {i.number}"
            if needle and needle not in ref and needle not in i.label.casefold():
                continue
            said = excerpt(i.message_copy.content, 50) if i.message_copy else ""
            choices.append(app_commands.Choice(name=f"{i.label}: {said}"[:100], value=ref))
        return choices[:25]

    # -- /mod: members -------------------------------------------------------------------------
    @mod.command(name="warn", description="Warn a member (logged, counts towards timeouts)")
    @app_commands.describe(member="Who", reason="Why (shown to the member)")
    async def warn(
        self, interaction: discord.Interaction[Any], member: discord.Member, reason: str
    ) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        entry = await self.service.members.warn(
            guild_id, member.id, member.display_name, actor_id=interaction.user.id, reason=reason
        )
        await interaction.response.send_message(
            f"Warned {member.mention} ({entry.label.lower()}).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @mod.command(
        name="timeout", description="Time a member out (default: the ladder's next length)"
    )
    @app_commands.describe(
        member="Who", reason="Why (shown to the member)", minutes="Length (max 28 days)"
    )
    async def timeout(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member,
        reason: str,
        minutes: app_commands.Range[int, 1, 40320] | None = None,
    ) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        await interaction.response.defer(ephemeral=True, thinking=True)
        entry = await self.service.members.timeout(
            guild_id,
            member.id,
            member.display_name,
            actor_id=interaction.user.id,
            reason=reason,
            minutes=minutes,
        )
        length = format_duration(timedelta(seconds=float(entry.details.get("seconds", 0))))
        await interaction.followup.send(
            f"Timed out {member.mention} for {length} ({entry.label.lower()}).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @mod.command(name="pardon", description="Pardon a case: its points stop counting")
    @app_commands.describe(case="Case number", reason="Why")
    async def pardon(self, interaction: discord.Interaction[Any], case: int, reason: str) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        original = await self.service.members.case_by_number(guild_id, case)
        await self.service.members.pardon(
            guild_id, original.id, actor_id=interaction.user.id, reason=reason
        )
        await interaction.response.send_message(
            f"{original.label} pardoned: its points stop counting.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @pardon.autocomplete("case")
    async def _pardon_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        cases = await self.service.members.open_cases(interaction.guild_id)
        needle = current.strip("# ")
        return [
            app_commands.Choice(
                name=f"#{c.case_number} {c.kind} · {c.member_name or c.member_id}: "
                f"{c.guideline or c.reason or ''}"[:100],
                value=int(c.case_number or 0),
            )
            for c in reversed(cases)
            if needle in str(c.case_number)
        ][:25]

    @mod.command(name="history", description="A member's moderation record and current points")
    async def history(self, interaction: discord.Interaction[Any], member: discord.Member) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        record = await self.service.members.history(guild_id, member.id)
        await send_history(interaction, member.display_name, record)

    @mod.command(name="config", description="Points decay, timeout ladder and automatic slow mode")
    @app_commands.describe(
        reason="Why (logged)",
        half_life_hours="Hours for a member's points to halve",
        timeout_threshold="Points at which a hold or harsher also times out",
        first_timeout_minutes="Length of a first timeout (each later one x growth)",
        heat_messages="Comments within the window that make a thread hot",
        heat_window_seconds="The window for heat_messages",
        slowmode_seconds="Automatic slow mode: seconds between a member's messages",
        slowmode_minutes="Automatic slow mode lasts this long",
    )
    async def config(
        self,
        interaction: discord.Interaction[Any],
        reason: str | None = None,
        half_life_hours: app_commands.Range[float, 0.1, 8760.0] | None = None,
        timeout_threshold: app_commands.Range[float, 0.5, 1000.0] | None = None,
        first_timeout_minutes: app_commands.Range[float, 1.0, 40320.0] | None = None,
        heat_messages: app_commands.Range[int, 2, 1000] | None = None,
        heat_window_seconds: app_commands.Range[float, 1.0, 3600.0] | None = None,
        slowmode_seconds: app_commands.Range[int, 1, 21600] | None = None,
        slowmode_minutes: app_commands.Range[float, 1.0, 10080.0] | None = None,
    ) -> None:
        guild_id = await require_moderator(interaction, RULES_PERMISSION)
        given: dict[str, object] = {
            "half_life_hours": half_life_hours,
            "timeout_threshold": timeout_threshold,
            "first_timeout_minutes": first_timeout_minutes,
            "heat_messages": heat_messages,
            "heat_window_seconds": heat_window_seconds,
            "slowmode_seconds": slowmode_seconds,
            "slowmode_minutes": slowmode_minutes,
        }
        changes = {k: v for k, v in given.items() if v is not None}
        if changes:
            policy = await self.service.update_policy(
                guild_id, changes, actor_id=interaction.user.id, reason=reason or ""
            )
        else:
            policy = await self.service.policy(guild_id)
        lines = [f"{k}: {v}" for k, v in policy.to_mapping().items()]
        head = "Saved." if changes else "Current settings (pass options to change them):"
        await interaction.response.send_message(
            head + "\n```\n" + "\n".join(lines) + "\n```",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # -- /mod: article threads -----------------------------------------------------------------
    async def _thread_action(
        self,
        interaction: discord.Interaction[Any],
        action: str,
        reason: str,
        thread: ThreadOption | None,
        **extra: Any,
    ) -> None:
        guild_id = await require_moderator(interaction, THREAD_PERMISSION)
        target = thread or interaction.channel
        if not isinstance(target, THREADS) or not await is_article_thread(self.bot, target):
            raise InvalidInput("Use this in an article thread, or name one with `thread:`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        entry = await self.service.threads.apply(
            guild_id, target.id, action, actor_id=interaction.user.id, reason=reason, **extra
        )
        await interaction.followup.send(
            f"{entry.label}: {target.mention} (logged in the mod-log).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @mod.command(name="lock", description="Lock an article thread (no new comments)")
    async def lock(
        self,
        interaction: discord.Interaction[Any],
        reason: str,
        thread: ThreadOption | None = None,
    ) -> None:
        await self._thread_action(interaction, "lock", reason, thread)

    @mod.command(name="unlock", description="Unlock an article thread")
    async def unlock(
        self,
        interaction: discord.Interaction[Any],
        reason: str,
        thread: ThreadOption | None = None,
    ) -> None:
        await self._thread_action(interaction, "unlock", reason, thread)

    @mod.command(name="archive", description="Archive an article thread")
    async def archive(
        self,
        interaction: discord.Interaction[Any],
        reason: str,
        thread: ThreadOption | None = None,
    ) -> None:
        await self._thread_action(interaction, "archive", reason, thread)

    @mod.command(name="slowmode", description="Set slow mode on an article thread (0 turns it off)")
    @app_commands.describe(
        seconds="Seconds between a member's messages (0-21600)",
        minutes="Turn it off again after this many minutes",
    )
    async def slowmode(
        self,
        interaction: discord.Interaction[Any],
        seconds: app_commands.Range[int, 0, 21600],
        reason: str,
        minutes: app_commands.Range[int, 1, 10080] | None = None,
        thread: ThreadOption | None = None,
    ) -> None:
        await self._thread_action(
            interaction, "slowmode", reason, thread, seconds=seconds, minutes=minutes
        )

    @mod.command(name="pin", description="Pin a message in an article thread")
    @app_commands.describe(message="Message id or link")
    async def pin(
        self,
        interaction: discord.Interaction[Any],
        message: str,
        reason: str,
        thread: ThreadOption | None = None,
    ) -> None:
        await self._thread_action(
            interaction, "pin", reason, thread, message_id=_parse_message_id(message)
        )

    @mod.command(name="thread", description="An article thread's comments, actions and state")
    async def thread_info(
        self, interaction: discord.Interaction[Any], thread: ThreadOption | None = None
    ) -> None:
        guild_id = await require_moderator(interaction, THREAD_PERMISSION)
        target = thread or interaction.channel
        if not isinstance(target, THREADS):
            raise InvalidInput("Use this in an article thread, or name one with `thread:`.")
        summary = await self.service.threads.summary(guild_id, target.id)
        blocks = thread_blocks(
            summary,
            slowmode=target.slowmode_delay,
            locked=target.locked,
            archived=target.archived,
        )
        await send_pages(interaction, f"Thread: {target.name}", pack(blocks, per_page=20))
