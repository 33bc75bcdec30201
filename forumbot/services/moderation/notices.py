"""The words members and moderators read: DMs after an action, and mod-log one-liners."""

from __future__ import annotations

from datetime import timedelta

from forumbot.services.moderation.ladder import format_duration
from forumbot.services.moderation.port import Notice
from forumbot.services.moderation.types import LedgerEntry

EXCERPT_CHARS = 300

_WHAT = {
    "nudge": "A comment of yours may strain a community guideline. It is still up; please "
    "consider editing it.",
    "hold": "A comment of yours was held for review: it is hidden until a moderator looks at it.",
    "remove": "A comment of yours was removed.",
    "timeout": "You have been timed out",
    "warn": "A moderator has warned you.",
}


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def appeal_hint(case_number: int | None) -> str:
    command = f"`/appeal case:{case_number}`" if case_number else "`/appeal`"
    return (
        f"If you think this was a mistake, press **Appeal** below or use {command} in the "
        "server. Another moderator will decide."
    )


GUIDELINES_HINT = "The community guidelines: `/guidelines` in the server."


def member_notice(entry: LedgerEntry, *, server: str = "the server") -> Notice:
    """What happened, which guideline, what was written, and how to appeal."""
    assert entry.member_id is not None
    what = _WHAT.get(entry.kind, f"A moderation action ({entry.kind}) was taken.")
    if entry.kind == "timeout":
        seconds = float(entry.details.get("seconds", 0))
        what = f"{what} in {server} for {format_duration(timedelta(seconds=seconds))}."
        if entry.details.get("escalated"):
            what += " Repeated held or removed comments lead to timeouts of growing length."
    lines = [f"**{server}** — {entry.label.lower()}", what]
    if entry.guideline:
        lines.append(
            f"Guideline: **{entry.guideline}**" + (f" (rule `{entry.rule}`)" if entry.rule else "")
        )
        lines.append(GUIDELINES_HINT)
    if entry.reason and entry.actor_id is not None:
        lines.append(f"Moderator's note: {excerpt(entry.reason, 500)}")
    if entry.message_copy is not None and entry.message_copy.content:
        lines.append(
            "What you wrote:\n> " + excerpt(entry.message_copy.content).replace("\n", "\n> ")
        )
    lines.append(appeal_hint(entry.case_number))
    return Notice(
        guild_id=entry.guild_id,
        member_id=entry.member_id,
        case_id=entry.id,
        title=f"Moderation notice ({entry.label.lower()})",
        body="\n".join(lines),
        thread_id=entry.thread_id,
    )


def decision_notice(
    entry: LedgerEntry, member_id: int, text: str, *, server: str = "the server"
) -> Notice:
    """A follow-up about a case (appeal decided, held comment restored, pardon)."""
    case = entry.case_number or entry.refers_to_case
    return Notice(
        guild_id=entry.guild_id,
        member_id=member_id,
        case_id=entry.refers_to_id or entry.id,
        title=f"Update on case #{case}" if case else "Moderation update",
        body=f"**{server}** — {text}",
        appealable=False,
        thread_id=entry.thread_id,
    )


def thread_announcement(entry: LedgerEntry) -> str | None:
    """What a thread's readers are told when a moderator (or the bot) changes it, or None for
    changes that need no word in the thread."""
    reason = f" Reason: {excerpt(entry.reason, 300)}" if entry.reason and entry.actor_id else ""
    seconds = int(entry.details.get("seconds") or 0)
    if entry.kind == "lock":
        return f"🔒 A moderator locked this thread: no new comments for now.{reason}"
    if entry.kind == "unlock":
        return f"🔓 A moderator unlocked this thread: comments are open again.{reason}"
    if entry.kind == "slowmode" and seconds == 0:
        return f"Slow mode is off.{reason}"
    if entry.kind == "slowmode":
        until = ""
        if entry.expires_at is not None:
            minutes = (entry.expires_at - entry.created_at).total_seconds() / 60
            until = f" for {format_duration(timedelta(minutes=minutes))}"
        if entry.details.get("automatic"):
            return (
                f"🐢 This thread is busy: slow mode is on{until}, one comment every "
                f"{seconds} s per member. Take a breath; nothing is lost."
            )
        return f"🐢 A moderator turned on slow mode{until}: one comment every {seconds} s.{reason}"
    if entry.kind == "slowmode_end" and entry.details.get("changed"):
        return "Slow mode is off again."
    return None


def modlog_summary(entry: LedgerEntry) -> str:
    """One line for the mod-log channel (rendered without pings)."""
    who = "automatic" if entry.actor_id is None else f"by <@{entry.actor_id}>"
    subject = f"<@{entry.member_id}>" if entry.member_id else entry.member_name
    if subject is None and entry.message_copy is not None:
        subject = "bot output"
    # Thread, settings and rule changes are about no one: no subject.
    head = f"**{entry.label}** · {entry.kind}" if entry.case_number else f"**{entry.label}**"
    parts = [head, *([subject] if subject else [])]
    if entry.thread_id:
        parts.append(f"in <#{entry.thread_id}>")
    if entry.rule:
        parts.append(f"rule `{entry.rule}`")
    if entry.guideline:
        parts.append(f"({entry.guideline})")
    seconds = entry.details.get("seconds")
    if entry.kind == "timeout" and seconds:
        parts.append(f"for {format_duration(timedelta(seconds=seconds))}")
    elif entry.kind == "slowmode" and seconds is not None:
        parts.append(f"{int(seconds)} s between messages")
    parts.append(who)
    line = " · ".join(parts)
    if entry.reason:
        line += f"\nReason: {excerpt(entry.reason, 300)}"
    return line
