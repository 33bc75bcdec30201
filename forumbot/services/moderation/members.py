"""Actions on members: warn, timeout (the ladder's next length by default), escalate, pardon,
and a member's record. Each is a ledger row first, then the side effects through the port."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.moderation.errors import ModerationError, NotAllowed
from forumbot.services.moderation.ladder import (
    MAX_TIMEOUT,
    LadderPolicy,
    current_points,
    timeout_length,
)
from forumbot.services.moderation.ledger import MEMBER_ACTIONS, Ledger
from forumbot.services.moderation.notices import decision_notice, member_notice, modlog_summary
from forumbot.services.moderation.policy import PolicyStore
from forumbot.services.moderation.port import ModerationPort
from forumbot.services.moderation.types import LedgerEntry


async def record_notice(
    sessionmaker: async_sessionmaker[AsyncSession],
    port: ModerationPort,
    entry: LedgerEntry,
    member_id: int,
    delivered: bool,
    *,
    at: datetime,
) -> LedgerEntry:
    """Append whether the member's DM arrived; tell the mod-log when it did not, so moderators
    know the member was not told."""
    async with sessionmaker() as session, session.begin():
        notice = await Ledger(session).record(
            guild_id=entry.guild_id,
            kind="notice",
            member_id=member_id,
            refers_to_id=entry.id,
            at=at,
            details={"dm": "sent" if delivered else "closed"},
        )
    if not delivered:
        await port.post_modlog(
            entry.guild_id,
            notice,
            f"DMs closed: <@{member_id}> was not told about {entry.label.lower()}",
        )
    return notice


@dataclass(frozen=True, slots=True)
class MemberRecord:
    member_id: int
    points: float
    entries: tuple[LedgerEntry, ...]
    pardoned: frozenset[int]
    policy: LadderPolicy


class MemberActions:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        port: ModerationPort,
        policies: PolicyStore,
        *,
        clock: Callable[[], datetime],
        server_name: Callable[[int], str],
    ) -> None:
        self._sessionmaker = sessionmaker
        self.port = port
        self.policies = policies
        self._clock = clock
        self._server_name = server_name

    async def announce(self, entry: LedgerEntry, *, notify: bool = True) -> bool | None:
        """Mod-log the entry, DM the member, and append the DM's outcome."""
        await self.port.post_modlog(entry.guild_id, entry, modlog_summary(entry))
        if not notify or entry.member_id is None:
            return None
        server = self._server_name(entry.guild_id)
        delivered = await self.port.notify_member(member_notice(entry, server=server))
        await self._record_notice(entry, entry.member_id, delivered)
        return delivered

    async def _record_notice(self, entry: LedgerEntry, member_id: int, delivered: bool) -> None:
        await record_notice(
            self._sessionmaker, self.port, entry, member_id, delivered, at=self._clock()
        )

    async def tell(self, entry: LedgerEntry, member_id: int | None, text: str) -> bool | None:
        if member_id is None:
            return None
        server = self._server_name(entry.guild_id)
        delivered = await self.port.notify_member(
            decision_notice(entry, member_id, text, server=server)
        )
        await self._record_notice(entry, member_id, delivered)
        return delivered

    @staticmethod
    def reason(reason: str) -> str:
        reason = (reason or "").strip()
        if not reason:
            raise ModerationError("Give a reason; it is logged and shown to the member.")
        return reason[:1000]

    async def warn(
        self, guild_id: int, member_id: int, member_name: str, *, actor_id: int, reason: str
    ) -> LedgerEntry:
        reason = self.reason(reason)
        policy = await self.policies.get(guild_id)
        async with self._sessionmaker() as session, session.begin():
            entry = await Ledger(session).record(
                guild_id=guild_id,
                kind="warn",
                member_id=member_id,
                member_name=member_name,
                actor_id=actor_id,
                reason=reason,
                points=policy.points_for("warn"),
                at=self._clock(),
            )
        await self.announce(entry)
        return entry

    async def timeout(
        self,
        guild_id: int,
        member_id: int,
        member_name: str,
        *,
        actor_id: int,
        reason: str,
        minutes: float | None = None,
        refers_to_id: int | None = None,
    ) -> LedgerEntry:
        """Time a member out; without `minutes`, for the ladder's next length."""
        reason = self.reason(reason)
        policy = await self.policies.get(guild_id)
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            ledger = Ledger(session)
            if minutes is None:
                length = timeout_length(await ledger.past_actions(guild_id, member_id), now, policy)
            else:
                if minutes <= 0:
                    raise ModerationError("A timeout lasts at least one minute.")
                length = min(timedelta(minutes=minutes), MAX_TIMEOUT)
            entry = await ledger.record(
                guild_id=guild_id,
                kind="timeout",
                member_id=member_id,
                member_name=member_name,
                actor_id=actor_id,
                reason=reason,
                points=policy.points_for("timeout"),
                at=now,
                expires_at=now + length,
                refers_to_id=refers_to_id,
                details={"seconds": length.total_seconds()},
            )
        ok = await self.port.timeout_member(
            guild_id, member_id, entry.expires_at, f"{entry.label}: {reason}"[:512]
        )
        if not ok:
            raise ModerationError(
                f"Discord refused the timeout ({entry.label} records the attempt); "
                "check the bot's role is above the member's."
            )
        await self.announce(entry)
        return entry

    async def escalate(
        self, guild_id: int, case_id: int, *, actor_id: int, reason: str
    ) -> LedgerEntry:
        """The next step for the member of a case: a timeout of the ladder's next length."""
        async with self._sessionmaker() as session:
            case = await Ledger(session).get(guild_id, case_id)
        if case.member_id is None or case.kind not in MEMBER_ACTIONS:
            raise NotAllowed(
                f"{case.label} is a {case.kind}; only actions on members can be escalated."
            )
        return await self.timeout(
            guild_id,
            case.member_id,
            case.member_name or str(case.member_id),
            actor_id=actor_id,
            reason=reason,
            refers_to_id=case_id,
        )

    async def pardon(
        self, guild_id: int, case_id: int, *, actor_id: int, reason: str
    ) -> LedgerEntry:
        """Pardon a case: a new ledger row; its points stop counting; a running timeout ends."""
        reason = self.reason(reason)
        async with self._sessionmaker() as session, session.begin():
            ledger = Ledger(session)
            original = await ledger.get(guild_id, case_id)
            # A moderator may undo their own action; only appeals need a second moderator.
            entry = await ledger.pardon(guild_id, case_id, actor_id=actor_id, reason=reason)
        await self.lift_timeout(original)
        await self.port.post_modlog(guild_id, entry, modlog_summary(entry))
        await self.tell(
            entry, original.member_id, f"{original.label} has been pardoned. Reason: {reason}"
        )
        return entry

    async def lift_timeout(self, original: LedgerEntry) -> None:
        if (
            original.kind == "timeout"
            and original.member_id is not None
            and original.expires_at is not None
            and original.expires_at > self._clock()
        ):
            await self.port.timeout_member(
                original.guild_id, original.member_id, None, f"{original.label} pardoned"
            )

    async def history(self, guild_id: int, member_id: int) -> MemberRecord:
        policy = await self.policies.get(guild_id)
        async with self._sessionmaker() as session:
            ledger = Ledger(session)
            entries = await ledger.history(guild_id, member_id)
            past = await ledger.past_actions(guild_id, member_id)
        pardoned = frozenset(
            e.refers_to_id for e in entries if e.kind == "pardon" and e.refers_to_id
        )
        return MemberRecord(
            member_id=member_id,
            points=current_points(past, self._clock(), policy),
            entries=tuple(entries),
            pardoned=pardoned,
            policy=policy,
        )

    async def case(self, guild_id: int, case_id: int) -> LedgerEntry:
        async with self._sessionmaker() as session:
            return await Ledger(session).get(guild_id, case_id)

    async def open_cases(self, guild_id: int, limit: int = 200) -> list[LedgerEntry]:
        """The guild's latest cases that are not pardoned (for autocomplete), oldest first."""
        async with self._sessionmaker() as session:
            return await Ledger(session).open_cases(guild_id, limit)

    async def case_by_number(self, guild_id: int, number: int) -> LedgerEntry:
        """The action called "Case #number" in the guild."""
        async with self._sessionmaker() as session:
            return await Ledger(session).case(guild_id, number)
