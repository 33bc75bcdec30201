"""The review queue: held messages, member reports and appeals, claimable and decided once.

This module keeps the queue's state and enforces who may decide what; the facade
(`moderation.py`) carries out the decision's side effects through the port.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.services.moderation.errors import NotAllowed, NotFound
from forumbot.services.moderation.ledger import MEMBER_ACTIONS, Ledger
from forumbot.services.moderation.numbers import next_number
from forumbot.services.moderation.types import (
    LedgerEntry,
    MessageCopy,
    QueueItem,
    as_utc,
    utcnow,
)
from forumbot.storage.models.moderation import ModQueueItem

DECISIONS = ("approve", "remove", "timeout", "grant", "deny")
KINDS = ("held", "report", "appeal")


def to_item(row: ModQueueItem) -> QueueItem:
    return QueueItem(
        id=row.id,
        guild_id=row.guild_id,
        kind=row.kind,
        status=row.status,
        action_id=row.action_id,
        member_id=row.member_id,
        reporter_id=row.reporter_id,
        thread_id=row.thread_id,
        reason=row.reason,
        message_copy=MessageCopy.from_json(row.message_copy) if row.message_copy else None,
        created_at=as_utc(row.created_at) or utcnow(),
        claimed_by=row.claimed_by,
        decided_by=row.decided_by,
        decision=row.decision,
        decision_reason=row.decision_reason,
        number=row.number,
        case_number=row.case_number,
    )


class ReviewQueue:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.ledger = Ledger(session)

    async def _add(self, **values: Any) -> QueueItem:
        row = ModQueueItem(status="open", created_at=utcnow(), **values)
        if row.number is None:
            row.number = await next_number(self.session, row.guild_id, row.kind)
        self.session.add(row)
        await self.session.flush()
        return to_item(row)

    async def enqueue_held(self, guild_id: int, hold_action_id: int) -> QueueItem:
        hold = await self.ledger.get(guild_id, hold_action_id)
        return await self._add(
            guild_id=guild_id,
            kind="held",
            action_id=hold.id,
            number=hold.case_number,
            case_number=hold.case_number,
            member_id=hold.member_id,
            thread_id=hold.thread_id,
            reason=hold.guideline or hold.reason,
            message_copy=hold.message_copy.to_json() if hold.message_copy else None,
        )

    async def report(self, message: MessageCopy, *, reporter_id: int, reason: str) -> QueueItem:
        if message.author_id is not None and message.author_id == reporter_id:
            raise NotAllowed("You cannot report your own message.")
        reason = reason.strip()
        if not reason:
            raise NotAllowed("Please say why you are reporting this message.")
        # One open report per reporter and message: a double click files nothing new.
        pending = await self.session.scalars(
            select(ModQueueItem).where(
                ModQueueItem.guild_id == message.guild_id,
                ModQueueItem.kind == "report",
                ModQueueItem.reporter_id == reporter_id,
                ModQueueItem.status != "decided",
            )
        )
        for row in pending.all():
            if (row.message_copy or {}).get("message_id") == message.message_id:
                return to_item(row)
        return await self._add(
            guild_id=message.guild_id,
            kind="report",
            member_id=message.author_id,
            reporter_id=reporter_id,
            thread_id=message.thread_id,
            reason=reason[:1000],
            message_copy=message.to_json(),
        )

    async def check_appeal(self, action: LedgerEntry, member_id: int) -> list[LedgerEntry]:
        """Refuse an appeal that cannot be filed: not the member's own, not an action on a
        member, already pardoned or already appealed (any step about the same comment counts).
        Returns the chain of actions the appeal is about."""
        if action.member_id != member_id:
            raise NotAllowed(f"{action.label} is not about you, so you cannot appeal it.")
        if action.kind not in MEMBER_ACTIONS:
            raise NotAllowed(f"{action.label} is not an action that can be appealed.")
        chain = await self.ledger.chain(action.guild_id, action)
        pardoned = {p.refers_to_id for p in await self.ledger.pardons_of([c.id for c in chain])}
        if all(c.id in pardoned for c in chain):
            raise NotAllowed(f"{action.label} has already been pardoned.")
        prior = await self.session.scalar(
            select(ModQueueItem)
            .where(
                ModQueueItem.kind == "appeal",
                ModQueueItem.action_id.in_([c.id for c in chain]),
            )
            .limit(1)
        )
        if prior is not None:
            state = "is waiting for a moderator" if prior.status != "decided" else "was decided"
            raise NotAllowed(f"Your appeal about this comment {state} ({to_item(prior).label}).")
        return chain

    async def appeal(
        self, guild_id: int, action_id: int, *, member_id: int, text: str
    ) -> QueueItem:
        action = await self.ledger.get(guild_id, action_id)
        await self.check_appeal(action, member_id)
        text = text.strip()
        if not text:
            raise NotAllowed("Please explain why the action should be reconsidered.")
        return await self._add(
            guild_id=guild_id,
            kind="appeal",
            action_id=action_id,
            case_number=action.case_number,
            member_id=member_id,
            thread_id=action.thread_id,
            reason=text[:1500],
            message_copy=action.message_copy.to_json() if action.message_copy else None,
        )

    async def by_number(self, guild_id: int, kind: str, number: int) -> QueueItem:
        """The item called "Case #N (held)", "Report #N" or "Appeal #N"."""
        queue_kind = {"case": "held"}.get(kind, kind)
        row = await self.session.scalar(
            select(ModQueueItem)
            .where(
                ModQueueItem.guild_id == guild_id,
                ModQueueItem.kind == queue_kind,
                ModQueueItem.number == number,
            )
            .order_by(ModQueueItem.id.desc())
            .limit(1)
        )
        if row is None:
            what = "held case" if kind == "case" else kind
            raise NotFound(f"There is no {what} #{number} in the review queue.")
        return to_item(row)

    async def _row(self, guild_id: int, item_id: int) -> ModQueueItem:
        row = await self.session.get(ModQueueItem, item_id)
        if row is None or row.guild_id != guild_id:
            raise NotFound("That review item is not in this server's queue.")
        return row

    async def get(self, guild_id: int, item_id: int) -> QueueItem:
        return to_item(await self._row(guild_id, item_id))

    async def open_items(
        self,
        guild_id: int,
        limit: int | None = None,
        *,
        kind: str | None = None,
        member_id: int | None = None,
        thread_id: int | None = None,
    ) -> list[QueueItem]:
        """Undecided items, oldest first, optionally of one kind, member or thread."""
        if kind is not None and kind not in KINDS:
            raise NotAllowed(f"Unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
        stmt = select(ModQueueItem).where(
            ModQueueItem.guild_id == guild_id, ModQueueItem.status != "decided"
        )
        if kind is not None:
            stmt = stmt.where(ModQueueItem.kind == kind)
        if member_id is not None:
            stmt = stmt.where(ModQueueItem.member_id == member_id)
        if thread_id is not None:
            stmt = stmt.where(ModQueueItem.thread_id == thread_id)
        stmt = stmt.order_by(ModQueueItem.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [to_item(r) for r in (await self.session.scalars(stmt)).all()]

    async def count_open(self, guild_id: int, thread_id: int | None = None) -> int:
        stmt = select(func.count(ModQueueItem.id)).where(
            ModQueueItem.guild_id == guild_id, ModQueueItem.status != "decided"
        )
        if thread_id is not None:
            stmt = stmt.where(ModQueueItem.thread_id == thread_id)
        return int(await self.session.scalar(stmt) or 0)

    async def check_decider(self, item: QueueItem, moderator_id: int) -> None:
        """An appeal is decided by someone other than the moderator who acted."""
        if item.kind != "appeal" or item.action_id is None:
            return
        action = await self.ledger.get(item.guild_id, item.action_id)
        if action.actor_id is not None and action.actor_id == moderator_id:
            raise NotAllowed(
                f"You took the action in {action.label}; another moderator must decide the appeal."
            )

    async def claim(self, guild_id: int, item_id: int, moderator_id: int) -> QueueItem:
        row = await self._row(guild_id, item_id)
        label = to_item(row).label
        if row.status == "decided":
            raise NotAllowed(f"{label} is already decided.")
        if row.status == "claimed" and row.claimed_by != moderator_id:
            raise NotAllowed(f"{label} is claimed by <@{row.claimed_by}>.")
        await self.check_decider(to_item(row), moderator_id)
        # Conditional, as deciding is: of two moderators claiming at once, one gets it.
        won = await self.session.execute(
            update(ModQueueItem)
            .where(ModQueueItem.id == item_id, *_open_to(moderator_id))
            .values(status="claimed", claimed_by=moderator_id, claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await self.session.refresh(row)
        if won.rowcount != 1:  # type: ignore[attr-defined]
            raise NotAllowed(_taken(label, row))
        return to_item(row)

    async def close(
        self,
        guild_id: int,
        item_id: int,
        *,
        moderator_id: int,
        decision: str,
        reason: str,
        at: datetime | None = None,
    ) -> QueueItem:
        """Mark an item decided, after checking the moderator may decide it."""
        if decision not in DECISIONS:
            raise NotAllowed(f"Unknown decision {decision!r}; use one of {', '.join(DECISIONS)}.")
        row = await self._row(guild_id, item_id)
        label = to_item(row).label
        if row.status == "decided" or row.claimed_by not in (None, moderator_id):
            raise NotAllowed(_taken(label, row))
        await self.check_decider(to_item(row), moderator_id)
        # A conditional update, not a write of what was read: when the dashboard and a button
        # (or two processes) decide at once, the database lets exactly one of them through.
        won = await self.session.execute(
            update(ModQueueItem)
            .where(ModQueueItem.id == item_id, *_open_to(moderator_id))
            .values(
                status="decided",
                decided_by=moderator_id,
                decided_at=at or utcnow(),
                decision=decision,
                decision_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
        await self.session.refresh(row)
        if won.rowcount != 1:  # type: ignore[attr-defined]
            raise NotAllowed(_taken(label, row))
        return to_item(row)


def _open_to(moderator_id: int) -> tuple[Any, ...]:
    """An item this moderator may still claim or decide: undecided, and unclaimed or theirs."""
    return (
        ModQueueItem.status != "decided",
        or_(ModQueueItem.claimed_by.is_(None), ModQueueItem.claimed_by == moderator_id),
    )


def _taken(label: str, row: ModQueueItem) -> str:
    """Why a moderator may not decide an item someone else decided or claimed."""
    if row.status == "decided":
        return f"{label} was already decided ({row.decision}) by <@{row.decided_by}>."
    return f"{label} is claimed by <@{row.claimed_by}>."
