"""Moderator controls on article threads (lock, unlock, archive, slow mode, pin), each logged
with who and why, the end of automatic slow modes, and a thread's moderation summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.moderation.errors import ModerationError
from forumbot.services.moderation.ledger import Ledger
from forumbot.services.moderation.notices import modlog_summary, thread_announcement
from forumbot.services.moderation.outbox import (
    Effect,
    Outbox,
    OutboxRow,
    modlog_effect,
    thread_effect,
)
from forumbot.services.moderation.port import ModerationPort, ThreadChange
from forumbot.services.moderation.queue import ReviewQueue
from forumbot.services.moderation.types import LedgerEntry, utcnow
from forumbot.storage.models.moderation import ModSeenMessage

MAX_SLOWMODE_SECONDS = 21600  # Discord's limit

_CHANGES = {
    "lock": ThreadChange(locked=True),
    "unlock": ThreadChange(locked=False),
    "archive": ThreadChange(archived=True),
}


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    thread_id: int
    comments: int
    participants: int
    flagged: int
    actions: Counter[str] = field(default_factory=Counter)
    recent: tuple[LedgerEntry, ...] = ()
    open_items: int = 0


class ThreadControls:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        port: ModerationPort,
        *,
        outbox: Outbox,
    ):
        self._sessionmaker = sessionmaker
        self.port = port
        # The thread change, its announcement and the mod-log post commit with the ledger row.
        self.outbox = outbox

    async def apply(
        self,
        guild_id: int,
        thread_id: int,
        action: str,
        *,
        actor_id: int,
        reason: str,
        seconds: int | None = None,
        minutes: float | None = None,
        message_id: int | None = None,
    ) -> LedgerEntry:
        """Carry out a thread control and log it. `seconds` is the slow-mode interval (0 turns
        it off); `minutes` optionally ends it automatically."""
        reason = (reason or "").strip()
        if not reason:
            raise ModerationError("Give a reason; it is logged with the action.")
        details: dict[str, object] = {}
        expires_at: datetime | None = None
        now = utcnow()
        if action == "slowmode":
            if seconds is None or not 0 <= seconds <= MAX_SLOWMODE_SECONDS:
                raise ModerationError(
                    f"Slow mode takes 0 (off) to {MAX_SLOWMODE_SECONDS} seconds between messages."
                )
            change = ThreadChange(slowmode_seconds=seconds)
            details["seconds"] = seconds
            if minutes:
                expires_at = now + timedelta(minutes=minutes)
        elif action == "pin":
            if message_id is None:
                raise ModerationError("Say which message to pin (its id or link).")
            details["message_id"] = message_id
            change = None
        elif action in _CHANGES:
            change = _CHANGES[action]
        else:
            raise ModerationError(f"Unknown thread action {action!r}.")
        async with self._sessionmaker() as session, session.begin():
            entry = await Ledger(session).record(
                guild_id=guild_id,
                kind=action,
                channel_id=thread_id,
                thread_id=thread_id,
                actor_id=actor_id,
                reason=reason,
                at=now,
                expires_at=expires_at,
                details=details or None,
            )
            audit = f"{entry.label} by {actor_id}: {reason}"[:512]
            if change is not None:
                # Announced in the thread once Discord has made the change.
                first = thread_effect(entry, thread_id, change, audit, thread_announcement(entry))
            else:
                assert message_id is not None
                first = Effect(
                    "pin",
                    f"case:{entry.id}:pin",
                    {
                        "channel_id": thread_id,
                        "message_id": message_id,
                        "reason": audit,
                        "label": entry.label,
                    },
                )
            rows = await self.outbox.write(
                session,
                guild_id,
                [first, modlog_effect(entry, modlog_summary(entry))],
                entry_id=entry.id,
            )
        done = await self.outbox.run(rows)
        if done.get(rows[0].id) == "refused":
            raise ModerationError(
                f"Discord refused to {action} the thread (the mod-log records the attempt)."
            )
        return entry

    async def expire_slowmodes(self, now: datetime | None = None) -> list[LedgerEntry]:
        """End slow modes whose time is up, unless a later slow-mode change superseded them.

        Run by the scheduler lease holder only; should two processes still run it at once (a
        lease holder that stalled), the thread change and its posts are keyed by the slow mode
        they end, so the second process's end fails on the outbox's unique key and is dropped
        whole: one edit, one announcement, one mod-log post."""
        now = now or utcnow()
        ended: list[LedgerEntry] = []
        async with self._sessionmaker() as session:
            due = await Ledger(session).open_slowmodes(now)
        for entry in due:
            assert entry.thread_id is not None
            try:
                end, rows = await self._end_slowmode(entry, now)
            except IntegrityError:
                continue  # another process ended it first
            if end is None:
                continue
            await self.outbox.run(rows)
            ended.append(end)
        return ended

    async def _end_slowmode(
        self, entry: LedgerEntry, now: datetime
    ) -> tuple[LedgerEntry | None, list[OutboxRow]]:
        assert entry.thread_id is not None
        async with self._sessionmaker() as session, session.begin():
            ledger = Ledger(session)
            if await ledger.references(entry.id, "slowmode_end"):
                return None, []
            later = [
                r
                for r in await ledger.thread_rows(entry.guild_id, entry.thread_id)
                if r.kind == "slowmode" and r.id > entry.id
            ]
            end = await ledger.record(
                guild_id=entry.guild_id,
                kind="slowmode_end",
                channel_id=entry.thread_id,
                thread_id=entry.thread_id,
                refers_to_id=entry.id,
                at=now,
                reason="superseded by a later change" if later else "slow mode time is up",
                details={"seconds": 0, "changed": not later},
            )
            rows: list[OutboxRow] = []
            if not later:
                key = f"slowmode:{entry.id}:end"
                effects = [
                    replace(
                        thread_effect(
                            end,
                            entry.thread_id,
                            ThreadChange(slowmode_seconds=0),
                            "end of automatic slow mode",
                            thread_announcement(end),
                        ),
                        key=f"{key}:thread",
                    ),
                    replace(modlog_effect(end, modlog_summary(end)), key=f"{key}:modlog"),
                ]
                rows = await self.outbox.write(session, entry.guild_id, effects, entry_id=end.id)
        return end, rows

    async def summary(
        self, guild_id: int, thread_id: int, recent: int | None = None
    ) -> ThreadSummary:
        """Counts, state and the thread's actions (the last `recent`, or all of them)."""
        async with self._sessionmaker() as session:
            where = (ModSeenMessage.guild_id == guild_id, ModSeenMessage.thread_id == thread_id)
            counted = ModSeenMessage.source.in_(("message", "imported", "relay"))
            comments = await session.scalar(
                select(func.count(ModSeenMessage.id)).where(*where, counted)
            )
            participants = await session.scalar(
                select(func.count(func.distinct(ModSeenMessage.author_id))).where(
                    *where, ModSeenMessage.source.in_(("message", "edit"))
                )
            )
            flagged = await session.scalar(
                select(func.count(ModSeenMessage.id)).where(*where, ModSeenMessage.action != "none")
            )
            rows = await Ledger(session).thread_rows(guild_id, thread_id)
            open_items = await ReviewQueue(session).count_open(guild_id, thread_id)
        shown = [r for r in rows if r.kind not in ("shadow", "notice")]
        return ThreadSummary(
            thread_id=thread_id,
            comments=int(comments or 0),
            participants=int(participants or 0),
            flagged=int(flagged or 0),
            actions=Counter(r.kind for r in shown),
            recent=tuple(shown[-recent:] if recent else shown),
            open_items=open_items,
        )
