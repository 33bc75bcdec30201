"""Persistent moderation buttons: DynamicItems whose custom_id carries the case, member or review
item, so they keep working after a restart. Mod-log cases get Pardon / Escalate / History, queue
listings get Claim / Approve / Remove / Timeout, a member's DM gets Appeal."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Self

import discord

from cogs._errors import reply_error
from cogs.moderation.access import MEMBER_PERMISSION, require_moderator, service_of
from cogs.moderation.embeds import appeal_filed_text, decision_text, send_history
from cogs.moderation.forms import TextModal, reply
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.ledger import MEMBER_ACTIONS
from forumbot.services.moderation.numbers import ITEM_NAMES
from forumbot.services.moderation.types import LedgerEntry, QueueItem


class ModButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mod:(?!)"):
    """A button whose custom_id is `mod:<name>:<field>:...`; the template's groups, in order,
    are the constructor's arguments (digits become ints). Subclasses set `template` and
    `custom_id()` and implement `run`; an expected error becomes a short reply."""

    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(
        self,
        label: str,
        custom_id: str,
        row: int | None = None,
        style: discord.ButtonStyle | None = None,
    ) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=style or self.style, custom_id=custom_id, row=row
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> Self:
        args: list[Any] = [int(g) if g.isdigit() else g for g in match.groups()]
        return cls(*args)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.run(interaction)
        except Exception as exc:
            await reply_error(interaction, exc)


class _CaseWithReasonButton(ModButton, template=r"mod:(?!)"):
    """A moderator acts on a mod-log case after giving a reason in a form."""

    verb: ClassVar[str]

    def __init__(self, case_id: int) -> None:
        super().__init__(self.verb, f"mod:{self.verb.lower()}:{case_id}")
        self.case_id = case_id

    async def act(
        self, service: ModerationService, case: LedgerEntry, actor_id: int, reason: str
    ) -> str:
        raise NotImplementedError

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        service = service_of(interaction.client)
        case = await service.members.case(guild_id, self.case_id)

        async def submit(modal_interaction: discord.Interaction[Any], reason: str) -> None:
            text = await self.act(service, case, modal_interaction.user.id, reason)
            await reply(modal_interaction, text)

        await interaction.response.send_modal(
            TextModal(f"{self.verb} {case.label.lower()}", "Why?", submit)
        )


class PardonButton(_CaseWithReasonButton, template=r"mod:pardon:(\d+)"):
    verb = "Pardon"
    style = discord.ButtonStyle.success

    async def act(
        self, service: ModerationService, case: LedgerEntry, actor_id: int, reason: str
    ) -> str:
        await service.members.pardon(case.guild_id, case.id, actor_id=actor_id, reason=reason)
        return f"{case.label} pardoned."


class EscalateButton(_CaseWithReasonButton, template=r"mod:escalate:(\d+)"):
    verb = "Escalate"
    style = discord.ButtonStyle.danger

    async def act(
        self, service: ModerationService, case: LedgerEntry, actor_id: int, reason: str
    ) -> str:
        entry = await service.members.escalate(
            case.guild_id, case.id, actor_id=actor_id, reason=reason
        )
        seconds = int(entry.details.get("seconds", 0))
        return f"Escalated: <@{entry.member_id}> timed out for {seconds // 60} min ({entry.label})."


class HistoryButton(ModButton, template=r"mod:history:(\d+)"):
    def __init__(self, member_id: int) -> None:
        super().__init__("History", f"mod:history:{member_id}")
        self.member_id = member_id

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        record = await service_of(interaction.client).members.history(guild_id, self.member_id)
        name = str(self.member_id)
        if interaction.guild is not None:
            member = interaction.guild.get_member(self.member_id)
            name = member.display_name if member else name
        await send_history(interaction, name, record)


_DECIDE_STYLES = {
    "claim": discord.ButtonStyle.secondary,
    "approve": discord.ButtonStyle.success,
    "remove": discord.ButtonStyle.danger,
    "timeout": discord.ButtonStyle.danger,
}


class DecideButton(ModButton, template=r"mod:decide:(\d+):(claim|approve|remove|timeout)"):
    def __init__(self, item_id: int, what: str, row: int = 0, label: str | None = None) -> None:
        super().__init__(
            label or what.title(),
            f"mod:decide:{item_id}:{what}",
            row,
            _DECIDE_STYLES[what],
        )
        self.item_id = item_id
        self.what = what

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        service = service_of(interaction.client)
        if self.what == "claim":
            item = await service.desk.claim(
                guild_id, self.item_id, moderator_id=interaction.user.id
            )
            await reply(interaction, f"You claimed {item.label}.")
            return
        decision = await service.desk.decide(
            guild_id, self.item_id, moderator_id=interaction.user.id, decision=self.what, reason=""
        )
        await reply(interaction, decision_text(decision))


class AppealButton(ModButton, template=r"mod:appeal:(\d+):(\d+)"):
    """In the member's DM: opens the appeal form (works outside the server)."""

    style = discord.ButtonStyle.primary

    def __init__(self, guild_id: int, case_id: int) -> None:
        super().__init__("Appeal", f"mod:appeal:{guild_id}:{case_id}")
        self.guild_id = guild_id
        self.case_id = case_id

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        case = await service_of(interaction.client).desk.appeal_target(
            self.guild_id, member_id=interaction.user.id, action_id=self.case_id
        )
        await open_appeal(interaction, case)


async def open_appeal(interaction: discord.Interaction[Any], case: LedgerEntry) -> None:
    """The appeal form for a case already checked to be the member's and still open."""

    async def submit(modal_interaction: discord.Interaction[Any], text: str) -> None:
        item = await service_of(interaction.client).desk.appeal(
            case.guild_id, case.id, member_id=modal_interaction.user.id, text=text
        )
        await reply(modal_interaction, appeal_filed_text(item))

    await interaction.response.send_modal(
        TextModal(f"Appeal {case.label.lower()}", "Why should it be reconsidered?", submit)
    )


def entry_view(entry: LedgerEntry) -> discord.ui.View | discord.utils._MissingSentinel:
    """Pardon / Escalate / History under a mod-log case about a member."""
    if entry.member_id is None or entry.kind not in MEMBER_ACTIONS:
        return discord.utils.MISSING
    view = discord.ui.View(timeout=None)
    view.add_item(PardonButton(entry.id))
    view.add_item(EscalateButton(entry.id))
    view.add_item(HistoryButton(entry.member_id))
    return view


def appeal_view(guild_id: int, case_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AppealButton(guild_id, case_id))
    return view


def item_actions(item: QueueItem, row: int) -> list[discord.ui.Item[Any]]:
    """Claim / Approve / Remove / Timeout (Grant / Deny for an appeal) on one row."""
    appeal = item.kind == "appeal"
    # The first button names the item, so each row reads against the listing above it.
    ref = f"{ITEM_NAMES[item.kind]} #{item.number}"
    buttons: list[discord.ui.Item[Any]] = [
        DecideButton(item.id, "claim", row, label=f"Claim {ref}"),
        DecideButton(item.id, "approve", row, label="Grant" if appeal else "Approve"),
        DecideButton(item.id, "remove", row, label="Deny" if appeal else "Remove"),
    ]
    if not appeal and item.member_id is not None:
        buttons.append(DecideButton(item.id, "timeout", row))
    return buttons


DYNAMIC_ITEMS = (PardonButton, EscalateButton, HistoryButton, DecideButton, AppealButton)
