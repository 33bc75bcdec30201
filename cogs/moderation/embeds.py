"""How moderation records look on Discord: mod-log cases, a member's history, the review queue,
a thread's state, and the one-line answers to decisions and appeals."""

from __future__ import annotations

from typing import Any

import discord

from cogs._pages import pack, send_pages
from forumbot.services.moderation.decisions import Decision
from forumbot.services.moderation.members import MemberRecord
from forumbot.services.moderation.notices import excerpt
from forumbot.services.moderation.threads import ThreadSummary
from forumbot.services.moderation.types import LedgerEntry, QueueItem

_COLOURS = {
    "hold": discord.Colour.orange(),
    "remove": discord.Colour.red(),
    "timeout": discord.Colour.dark_red(),
    "warn": discord.Colour.gold(),
    "nudge": discord.Colour.yellow(),
    "pardon": discord.Colour.green(),
    "restore": discord.Colour.green(),
}


def _actor(entry: LedgerEntry) -> str:
    return "auto" if entry.actor_id is None else f"<@{entry.actor_id}>"


def entry_embed(entry: LedgerEntry, summary: str) -> discord.Embed:
    embed = discord.Embed(
        title=f"{entry.label} · {entry.kind}",
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


def history_blocks(record: MemberRecord) -> list[str]:
    """A member's record, newest first: points, then one line per case or step."""
    head = (
        f"Current points: **{record.points:.1f}** (timeout at "
        f"{record.policy.timeout_threshold:g}; half-life {record.policy.half_life_hours:g} h)"
    )
    cases = [e for e in record.entries if e.case_number]
    open_cases = [e for e in cases if e.id not in record.pardoned]
    head += f"\n{len(cases)} cases, {len(open_cases)} counting (not pardoned)."
    if not record.entries:
        return [head, "Clean record: no actions on record."]
    lines = []
    for entry in reversed(record.entries):
        mark = " (pardoned)" if entry.id in record.pardoned else ""
        what = entry.guideline or entry.reason or ""
        lines.append(
            f"**{_title(entry)}{mark}** · {discord.utils.format_dt(entry.created_at, 'R')} · "
            f"{_actor(entry)} · {excerpt(what, 160)}"
        )
    return [head, *lines]


async def send_history(
    interaction: discord.Interaction[Any], member_name: str, record: MemberRecord
) -> None:
    await send_pages(
        interaction,
        f"Moderation history: {member_name}",
        pack(history_blocks(record), per_page=15),
    )


def item_label(item: QueueItem) -> str:
    return item.label


def _title(entry: LedgerEntry) -> str:
    """ "Case #12 hold", or "Pardon of case #12" for bookkeeping rows."""
    return f"{entry.label} {entry.kind}" if entry.case_number else entry.label


def queue_block(item: QueueItem) -> str:
    """One review item as a page shows it: what, who, where, why, and the text."""
    who = f"<@{item.member_id}>" if item.member_id else "bot output"
    state = f"claimed by <@{item.claimed_by}>" if item.claimed_by else "open"
    where = f" in <#{item.thread_id}>" if item.thread_id else ""
    lines = [f"{item_label(item)} · {state} · {who}{where}"]
    if item.reason:
        label = "Appeal" if item.kind == "appeal" else "Reason"
        lines.append(f"{label}: {excerpt(item.reason, 400)}")
    if item.message_copy is not None and item.message_copy.content:
        lines.append("> " + excerpt(item.message_copy.content, 600))
    return "\n".join(lines)


def queue_heading(items: list[QueueItem], filters: str) -> str:
    kinds = {"held": "held", "report": "reports", "appeal": "appeals"}
    counts = {word: sum(1 for i in items if i.kind == kind) for kind, word in kinds.items()}
    parts = ", ".join(f"{n} {word}" for word, n in counts.items() if n)
    head = f"{len(items)} open" + (f" ({parts})" if parts else "")
    return head + (f" · filters: {filters}" if filters else "")


def thread_blocks(
    summary: ThreadSummary, *, slowmode: int, locked: bool, archived: bool
) -> list[str]:
    """/mod thread: a thread's counts and state, then every action, newest first."""
    states = [state for state, on in (("locked", locked), ("archived", archived)) if on]
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.actions.items()))
    head = "\n".join(
        [
            f"**Comments** {summary.comments} · **Participants** {summary.participants} · "
            f"**Flagged** {summary.flagged} · **Open review items** {summary.open_items}",
            f"**Slow mode** {f'{slowmode} s' if slowmode else 'off'} · "
            f"**State** {', '.join(states) or 'open'}",
            f"**Actions taken** {counts or 'none'}",
        ]
    )
    lines = [
        f"**{_title(entry)}** · {discord.utils.format_dt(entry.created_at, 'R')} · "
        f"{_actor(entry)} · {excerpt(entry.guideline or entry.reason or '', 200)}"
        for entry in reversed(summary.recent)
    ]
    return [head, *lines]


def decision_text(decision: Decision) -> str:
    item = decision.item
    text = f"{item.label} decided: {item.decision}."
    if decision.restored_message_id:
        text += " The comment is back in the thread."
    if decision.dm_delivered is False:
        text += " The member's DMs are closed; they were not told."
    return text


def appeal_filed_text(item: QueueItem) -> str:
    return (
        f"{item.label} filed. A moderator other than the one who acted will decide, and you "
        "will get a DM."
    )
