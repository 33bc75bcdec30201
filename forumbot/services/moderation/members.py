"""Actions on members: warn, timeout (the ladder's next length by default), escalate, pardon,
and a member's record. Each is a ledger row and, in the same transaction, its side effects as
moderation outbox rows (outbox.py), keyed per action: done once, by this process at once or by
the drain after a crash, never twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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
from forumbot.services.moderation.outbox import (
    Effect,
    Outbox,
    dm_effect,
    modlog_effect,
    timeout_effect,
)
from forumbot.services.moderation.policy import PolicyStore
from forumbot.services.moderation.port import ModerationPort
from forumbot.services.moderation.types import LedgerEntry


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
        outbox: Outbox,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.port = port
        # Every side effect of a moderator's action goes through the outbox, as the automatic
        # actions' do: written with the ledger row, done once, retried by the drain.
        self.outbox = outbox
        self.policies = policies
        self._clock = clock
        self._server_name = server_name

    # -- side effects, written as outbox rows in the caller's transaction ------------------------
    def announce_effects(self, entry: LedgerEntry, *, notify: bool = True) -> list[Effect]:
        """The mod-log post about `entry` and the member's DM (whose outcome the outbox
        records), keyed as the automatic actions' are: each exists once per action."""
        effects = [modlog_effect(entry, modlog_summary(entry))]
        if notify and entry.member_id is not None:
            server = self._server_name(entry.guild_id)
            effects.append(dm_effect(entry, member_notice(entry, server=server)))
        return effects

    def tell_effects(self, entry: LedgerEntry, member_id: int | None, text: str) -> list[Effect]:
        """A follow-up DM about a case (a decision, a pardon), keyed by the entry deciding it."""
        if member_id is None:
            return []
        server = self._server_name(entry.guild_id)
        notice = decision_notice(entry, member_id, text, server=server)
        return [dm_effect(entry, notice)]

    def timeout_effects(self, entry: LedgerEntry) -> list[Effect]:
        """The timeout; announced (mod-log, DM) only once Discord has accepted it."""
        return [replace(timeout_effect(entry), then=tuple(self.announce_effects(entry)))]

    def lift_effects(
        self, original: LedgerEntry, because: LedgerEntry, now: datetime
    ) -> list[Effect]:
        """Ending `original`'s timeout early, if it still runs (`because`: the pardon or the
        decision that ends it)."""
        if (
            original.kind != "timeout"
            or original.member_id is None
            or original.expires_at is None
            or original.expires_at <= now
        ):
            return []
        return [
            Effect(
                "timeout",
                f"case:{original.id}:lift:{because.id}",
                {
                    "member_id": original.member_id,
                    "until": None,
                    "reason": f"{original.label} pardoned",
                    "label": original.label,
                    "what": "end the member's timeout",
                },
                entry_id=because.id,
            )
        ]

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
            rows = await self.outbox.write(
                session, guild_id, self.announce_effects(entry), entry_id=entry.id
            )
        await self.outbox.run(rows)
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
        """Time a member out; without `minutes`, for the ladder's next length. The timeout,
        its mod-log post and DM commit with the case as outbox rows and are done once."""
        reason = self.reason(reason)
        policy = await self.policies.get(guild_id)
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            entry = await self.record_timeout(
                Ledger(session),
                guild_id,
                member_id,
                member_name,
                actor_id=actor_id,
                reason=reason,
                policy=policy,
                now=now,
                minutes=minutes,
                refers_to_id=refers_to_id,
            )
            rows = await self.outbox.write(
                session, guild_id, self.timeout_effects(entry), entry_id=entry.id
            )
        done = await self.outbox.run(rows)
        if done.get(rows[0].id) == "refused":
            raise ModerationError(
                f"Discord refused the timeout ({entry.label} records the attempt); "
                "check the bot's role is above the member's."
            )
        return entry

    async def record_timeout(
        self,
        ledger: Ledger,
        guild_id: int,
        member_id: int,
        member_name: str,
        *,
        actor_id: int,
        reason: str,
        policy: LadderPolicy,
        now: datetime,
        minutes: float | None = None,
        refers_to_id: int | None = None,
    ) -> LedgerEntry:
        """The timeout's ledger row, in the caller's transaction."""
        if minutes is None:
            length = timeout_length(await ledger.past_actions(guild_id, member_id), now, policy)
        else:
            if minutes <= 0:
                raise ModerationError("A timeout lasts at least one minute.")
            length = min(timedelta(minutes=minutes), MAX_TIMEOUT)
        return await ledger.record(
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
        """Pardon a case: a new ledger row; its points stop counting; a running timeout ends.
        The lift, the mod-log post and the DM commit with the pardon as outbox rows."""
        reason = self.reason(reason)
        async with self._sessionmaker() as session, session.begin():
            ledger = Ledger(session)
            original = await ledger.get(guild_id, case_id)
            # A moderator may undo their own action; only appeals need a second moderator.
            entry = await ledger.pardon(guild_id, case_id, actor_id=actor_id, reason=reason)
            effects = [
                *self.lift_effects(original, entry, self._clock()),
                modlog_effect(entry, modlog_summary(entry)),
                *self.tell_effects(
                    entry,
                    original.member_id,
                    f"{original.label} has been pardoned. Reason: {reason}",
                ),
            ]
            rows = await self.outbox.write(session, guild_id, effects, entry_id=entry.id)
        await self.outbox.run(rows)
        return entry

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
