"""The append-only moderation ledger: every action, automatic or manual, and every pardon.

Rows are only ever inserted. A pardon is a new row referring to the action it pardons, so the
history keeps both. The database refuses UPDATE and DELETE on the table (migration 0003).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forumbot.services.moderation.errors import NotAllowed, NotFound
from forumbot.services.moderation.ladder import PastAction
from forumbot.services.moderation.numbers import next_number
from forumbot.services.moderation.types import LedgerEntry, MessageCopy, as_utc, utcnow
from forumbot.storage.models.moderation import ModAction

# Kinds that count towards a member's points and can be pardoned.
MEMBER_ACTIONS = frozenset({"nudge", "hold", "remove", "timeout", "warn"})
# Rows that describe a member's record (history shows these, not shadow/notice bookkeeping).
HISTORY_KINDS = MEMBER_ACTIONS | {"log", "pardon", "restore"}

# Where the current request came from when not Discord (e.g. "dashboard"): every row written
# while it is set says so in `details["via"]`, whichever service wrote it.
_ORIGIN: ContextVar[str | None] = ContextVar("moderation_origin", default=None)


@contextlib.contextmanager
def acting_from(origin: str) -> Iterator[None]:
    """Mark every ledger row written inside the block (same task) as coming from `origin`."""
    token = _ORIGIN.set(origin)
    try:
        yield
    finally:
        _ORIGIN.reset(token)


def to_entry(row: ModAction) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        guild_id=row.guild_id,
        kind=row.kind,
        member_id=row.member_id,
        member_name=row.member_name,
        channel_id=row.channel_id,
        thread_id=row.thread_id,
        message_id=row.message_id,
        message_copy=MessageCopy.from_json(row.message_copy) if row.message_copy else None,
        rule=row.rule,
        guideline=row.guideline,
        reason=row.reason,
        actor_id=row.actor_id,
        points=row.points,
        created_at=as_utc(row.created_at) or utcnow(),
        expires_at=as_utc(row.expires_at),
        refers_to_id=row.refers_to_id,
        details=dict(row.details or {}),
        case_number=row.case_number,
    )


def chain_of(rows: Sequence[LedgerEntry], action: LedgerEntry) -> list[LedgerEntry]:
    """The actions among the member's `rows` that are about the same comment as `action`, and
    those that followed from them (see Ledger.chain)."""
    by_id = {r.id: r for r in rows}
    # A timeout a hold escalated to is about the hold's comment.
    root = action
    while root.message_id is None and root.refers_to_id in by_id:
        parent = by_id[root.refers_to_id]
        if parent.message_id is None:
            break
        root = parent
    if root.message_id is not None:
        found = {r.id for r in rows if r.message_id == root.message_id} | {action.id}
    else:
        found = {action.id}
    grew = True
    while grew:  # and whatever followed from those actions
        before = len(found)
        found |= {r.id for r in rows if r.refers_to_id in found}
        grew = len(found) > before
    return [r for r in rows if r.id in found] or [action]


class Ledger:
    """Ledger operations inside one unit of work (the caller owns the session and commits)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        *,
        guild_id: int,
        kind: str,
        member_id: int | None = None,
        member_name: str | None = None,
        message: MessageCopy | None = None,
        channel_id: int | None = None,
        thread_id: int | None = None,
        rule: str | None = None,
        guideline: str | None = None,
        reason: str | None = None,
        actor_id: int | None = None,
        points: float = 0.0,
        at: datetime | None = None,
        expires_at: datetime | None = None,
        refers_to_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> LedgerEntry:
        origin = _ORIGIN.get()
        if origin is not None:
            details = {**(details or {}), "via": origin}
        row = ModAction(
            guild_id=guild_id,
            kind=kind,
            member_id=member_id,
            member_name=(member_name or (message.author_name if message else None) or None),
            channel_id=channel_id or (message.channel_id if message else None),
            thread_id=thread_id or (message.thread_id if message else None),
            message_id=message.message_id if message else None,
            message_copy=message.to_json() if message else None,
            rule=rule,
            guideline=guideline,
            reason=reason,
            actor_id=actor_id,
            points=points,
            created_at=at or utcnow(),
            expires_at=expires_at,
            refers_to_id=refers_to_id,
            details=details,
        )
        if row.member_name:
            row.member_name = row.member_name[:100]
        if kind in MEMBER_ACTIONS:
            row.case_number = await next_number(self.session, guild_id, "case")
        if refers_to_id is not None:
            # Rows about a case name its number, so the mod-log can say "Pardon of case #12".
            referred = await self.session.get(ModAction, refers_to_id)
            if referred is not None and referred.case_number is not None:
                row.details = {**(details or {}), "case": referred.case_number}
        self.session.add(row)
        await self.session.flush()
        return to_entry(row)

    async def get(self, guild_id: int, action_id: int) -> LedgerEntry:
        row = await self.session.get(ModAction, action_id)
        if row is None or row.guild_id != guild_id:
            raise NotFound("That moderation record is not in this server.")
        return to_entry(row)

    async def case(self, guild_id: int, number: int) -> LedgerEntry:
        """The action numbered "Case #number" in the guild."""
        row = await self.session.scalar(
            select(ModAction).where(ModAction.guild_id == guild_id, ModAction.case_number == number)
        )
        if row is None:
            raise NotFound(f"There is no case #{number} in this server.")
        return to_entry(row)

    async def open_cases(self, guild_id: int, limit: int) -> list[LedgerEntry]:
        """The latest `limit` cases of the guild that no pardon refers to, oldest first."""
        pardoned = select(ModAction.refers_to_id).where(
            ModAction.guild_id == guild_id,
            ModAction.kind == "pardon",
            ModAction.refers_to_id.is_not(None),
        )
        stmt = (
            select(ModAction)
            .where(
                ModAction.guild_id == guild_id,
                ModAction.case_number.is_not(None),
                ModAction.id.not_in(pardoned),
            )
            .order_by(ModAction.id.desc())
            .limit(limit)
        )
        rows = (await self.session.scalars(stmt)).all()
        return [to_entry(r) for r in reversed(rows)]

    async def references(self, action_id: int, kind: str | None = None) -> list[LedgerEntry]:
        stmt = select(ModAction).where(ModAction.refers_to_id == action_id)
        if kind:
            stmt = stmt.where(ModAction.kind == kind)
        rows = (await self.session.scalars(stmt.order_by(ModAction.id))).all()
        return [to_entry(r) for r in rows]

    async def chain(self, guild_id: int, action: LedgerEntry) -> list[LedgerEntry]:
        """Every action on the member about the same comment as `action` (a hold, the removal
        that confirmed it, an edit's hold), and the actions that followed from them (a timeout
        the hold escalated to), oldest first. An action about no comment is its own chain."""
        if action.member_id is None:
            return [action]
        rows = await self.member_rows(guild_id, action.member_id, MEMBER_ACTIONS)
        return chain_of(rows, action)

    async def pardons_of(self, action_ids: list[int]) -> list[LedgerEntry]:
        stmt = select(ModAction).where(
            ModAction.kind == "pardon", ModAction.refers_to_id.in_(action_ids)
        )
        return [to_entry(r) for r in (await self.session.scalars(stmt)).all()]

    async def pardon_of(self, action_id: int) -> LedgerEntry | None:
        found = await self.references(action_id, "pardon")
        return found[0] if found else None

    async def pardon(
        self, guild_id: int, action_id: int, *, actor_id: int, reason: str
    ) -> LedgerEntry:
        """Pardon an action: its points stop counting. The original row stays as it was."""
        original = await self.get(guild_id, action_id)
        if original.kind not in MEMBER_ACTIONS:
            raise NotAllowed(
                f"{original.label} is a {original.kind}; only actions on members can be pardoned."
            )
        if await self.pardon_of(action_id) is not None:
            raise NotAllowed(f"{original.label} is already pardoned.")
        return await self.record(
            guild_id=guild_id,
            kind="pardon",
            member_id=original.member_id,
            member_name=original.member_name,
            channel_id=original.channel_id,
            thread_id=original.thread_id,
            rule=original.rule,
            guideline=original.guideline,
            reason=reason,
            actor_id=actor_id,
            refers_to_id=action_id,
        )

    async def member_rows(
        self, guild_id: int, member_id: int, kinds: frozenset[str] | None = None
    ) -> list[LedgerEntry]:
        stmt = select(ModAction).where(
            ModAction.guild_id == guild_id, ModAction.member_id == member_id
        )
        if kinds:
            stmt = stmt.where(ModAction.kind.in_(sorted(kinds)))
        rows = (await self.session.scalars(stmt.order_by(ModAction.id))).all()
        return [to_entry(r) for r in rows]

    async def history(self, guild_id: int, member_id: int) -> list[LedgerEntry]:
        return await self.member_rows(guild_id, member_id, HISTORY_KINDS)

    async def past_actions(self, guild_id: int, member_id: int) -> list[PastAction]:
        """The member's point-bearing actions, each marked pardoned or not, for the ladder."""
        rows = await self.member_rows(guild_id, member_id, MEMBER_ACTIONS | {"pardon"})
        pardoned = {r.refers_to_id for r in rows if r.kind == "pardon"}
        return [
            PastAction(r.kind, r.points, r.created_at, r.id in pardoned)
            for r in rows
            if r.kind != "pardon"
        ]

    async def thread_rows(self, guild_id: int, thread_id: int) -> Sequence[LedgerEntry]:
        stmt = (
            select(ModAction)
            .where(ModAction.guild_id == guild_id, ModAction.thread_id == thread_id)
            .order_by(ModAction.id)
        )
        return [to_entry(r) for r in (await self.session.scalars(stmt)).all()]

    async def open_slowmodes(self, now: datetime) -> list[LedgerEntry]:
        """Automatic slow modes whose time is up and that nothing has ended yet."""
        stmt = select(ModAction).where(
            ModAction.kind == "slowmode", ModAction.expires_at.is_not(None)
        )
        due = []
        for row in (await self.session.scalars(stmt)).all():
            entry = to_entry(row)
            if entry.expires_at and entry.expires_at <= now:
                ended = await self.references(entry.id, "slowmode_end")
                if not ended:
                    due.append(entry)
        return due
