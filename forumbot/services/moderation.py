"""ModerationService: the one object cogs talk to. It wires rules, the pipeline, the ledger, the
review queue and thread controls together; side effects go through a ModerationPort."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.civility.engine import Engine
from forumbot.domain.civility.rules import RuleSet
from forumbot.services.moderation_backtest import BacktestReport, backtest
from forumbot.services.moderation_errors import ModerationError, NotAllowed
from forumbot.services.moderation_ladder import (
    MAX_TIMEOUT,
    LadderPolicy,
    Level,
    current_points,
    timeout_length,
)
from forumbot.services.moderation_ledger import Ledger
from forumbot.services.moderation_notices import decision_notice, member_notice, modlog_summary
from forumbot.services.moderation_pipeline import Outcome, Pipeline
from forumbot.services.moderation_policy import PolicyStore
from forumbot.services.moderation_port import ModerationPort
from forumbot.services.moderation_queue import ReviewQueue
from forumbot.services.moderation_rules import RuleBook
from forumbot.services.moderation_screening import Screening, screen
from forumbot.services.moderation_threads import ThreadControls
from forumbot.services.moderation_types import LedgerEntry, MessageCopy, QueueItem, utcnow
from forumbot.storage.models.moderation import ModQueueItem

__all__ = ["Decision", "MemberRecord", "ModerationService", "Outcome"]


@dataclass(frozen=True, slots=True)
class MemberRecord:
    member_id: int
    points: float
    entries: tuple[LedgerEntry, ...]
    pardoned: frozenset[int]
    policy: LadderPolicy


@dataclass
class Decision:
    item: QueueItem
    entries: list[LedgerEntry] = field(default_factory=list)
    restored_message_id: int | None = None
    dm_delivered: bool | None = None


class ModerationService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        port: ModerationPort,
        *,
        rules: RuleBook | None = None,
        policies: PolicyStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        server_name: Callable[[int], str] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.port = port
        self.rules = rules or RuleBook(sessionmaker)
        self.policies = policies or PolicyStore(sessionmaker)
        self._clock = clock
        self._server_name = server_name or (lambda _gid: "the server")
        self._engines: dict[int, Engine] = {}
        self.rules.on_change.append(self._forget_engine)
        self.pipeline = Pipeline(
            sessionmaker,
            port,
            self._screen,
            self.policies,
            clock=clock,
            server_name=self._server_name,
        )
        self.threads = ThreadControls(sessionmaker, port)

    def _forget_engine(self, guild_id: int) -> None:
        self._engines.pop(guild_id, None)

    # -- screening -----------------------------------------------------------------------------
    async def engine_for(self, guild_id: int) -> Engine:
        engine = self._engines.get(guild_id)
        if engine is None:
            engine = Engine(await self.rules.rules_for(guild_id))
            self._engines[guild_id] = engine
        return engine

    async def _screen(self, copy: MessageCopy) -> Screening:
        return screen(await self.engine_for(copy.guild_id), copy)

    async def handle_message(self, copy: MessageCopy) -> Outcome:
        """Screen a comment, title or relayed text from an article thread and act on it."""
        return await self.pipeline.handle(copy)

    async def test_text(
        self,
        guild_id: int,
        text: str,
        *,
        overrides_yaml: str | None = None,
        source: str = "message",
    ) -> Screening:
        """What the guild's rules (or proposed overrides) would do with `text`; no side effects."""
        if overrides_yaml is None:
            engine = await self.engine_for(guild_id)
        else:
            engine = Engine(self.rules.build(overrides_yaml))
        copy = MessageCopy(
            guild_id=guild_id,
            channel_id=0,
            message_id=None,
            author_id=None,
            author_name="test",
            content=text,
            created_at=self._clock(),
            source=source,
        )
        return screen(engine, copy, track=False)

    async def backtest(
        self,
        guild_id: int | None,
        *,
        rule_id: str | None = None,
        overrides_yaml: str | None = None,
        rules: RuleSet | None = None,
    ) -> BacktestReport:
        if rules is None:
            if overrides_yaml is not None:
                rules = self.rules.build(overrides_yaml)
            elif guild_id is not None:
                rules = await self.rules.rules_for(guild_id)
            else:
                rules = self.rules.base()
        return await backtest(self._sessionmaker, rules, rule_id=rule_id, guild_id=guild_id)

    # -- members -------------------------------------------------------------------------------
    async def _announce(self, entry: LedgerEntry, *, notify: bool = True) -> bool | None:
        """Mod-log the entry, DM the member, and append the DM's outcome."""
        await self.port.post_modlog(entry.guild_id, entry, modlog_summary(entry))
        if not notify or entry.member_id is None:
            return None
        server = self._server_name(entry.guild_id)
        delivered = await self.port.notify_member(member_notice(entry, server=server))
        await self._record_notice(entry, entry.member_id, delivered)
        return delivered

    async def _record_notice(self, entry: LedgerEntry, member_id: int, delivered: bool) -> None:
        async with self._sessionmaker() as session, session.begin():
            await Ledger(session).record(
                guild_id=entry.guild_id,
                kind="notice",
                member_id=member_id,
                refers_to_id=entry.id,
                at=self._clock(),
                details={"dm": "sent" if delivered else "closed"},
            )

    async def _tell(self, entry: LedgerEntry, member_id: int | None, text: str) -> bool | None:
        if member_id is None:
            return None
        server = self._server_name(entry.guild_id)
        delivered = await self.port.notify_member(
            decision_notice(entry, member_id, text, server=server)
        )
        await self._record_notice(entry, member_id, delivered)
        return delivered

    @staticmethod
    def _reason(reason: str) -> str:
        reason = (reason or "").strip()
        if not reason:
            raise ModerationError("Give a reason; it is logged and shown to the member.")
        return reason[:1000]

    async def warn(
        self, guild_id: int, member_id: int, member_name: str, *, actor_id: int, reason: str
    ) -> LedgerEntry:
        reason = self._reason(reason)
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
        await self._announce(entry)
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
        reason = self._reason(reason)
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
            guild_id, member_id, entry.expires_at, f"case #{entry.id}: {reason}"[:512]
        )
        if not ok:
            raise ModerationError(
                f"Discord refused the timeout (case #{entry.id} records the attempt); "
                "check the bot's role is above the member's."
            )
        await self._announce(entry)
        return entry

    async def escalate(
        self, guild_id: int, case_id: int, *, actor_id: int, reason: str
    ) -> LedgerEntry:
        """The next step for the member of a case: a timeout of the ladder's next length."""
        async with self._sessionmaker() as session:
            case = await Ledger(session).get(guild_id, case_id)
        if case.member_id is None:
            raise NotAllowed(f"Case #{case_id} is not about a member.")
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
        reason = self._reason(reason)
        async with self._sessionmaker() as session, session.begin():
            ledger = Ledger(session)
            original = await ledger.get(guild_id, case_id)
            # A moderator may undo their own action; only appeals need a second moderator.
            entry = await ledger.pardon(guild_id, case_id, actor_id=actor_id, reason=reason)
        await self._lift_timeout(original)
        await self.port.post_modlog(guild_id, entry, modlog_summary(entry))
        await self._tell(
            entry, original.member_id, f"Case #{case_id} has been pardoned. Reason: {reason}"
        )
        return entry

    async def _lift_timeout(self, original: LedgerEntry) -> None:
        if (
            original.kind == "timeout"
            and original.member_id is not None
            and original.expires_at is not None
            and original.expires_at > self._clock()
        ):
            await self.port.timeout_member(
                original.guild_id, original.member_id, None, f"case #{original.id} pardoned"
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

    # -- review queue --------------------------------------------------------------------------
    async def report(self, copy: MessageCopy, *, reporter_id: int, reason: str) -> QueueItem:
        async with self._sessionmaker() as session, session.begin():
            item = await ReviewQueue(session).report(copy, reporter_id=reporter_id, reason=reason)
        return item

    async def appeal(self, guild_id: int, case_id: int, *, member_id: int, text: str) -> QueueItem:
        async with self._sessionmaker() as session, session.begin():
            return await ReviewQueue(session).appeal(
                guild_id, case_id, member_id=member_id, text=text
            )

    async def appealable_cases(self, guild_id: int, member_id: int) -> list[LedgerEntry]:
        """The member's own actions that are not pardoned and not yet appealed (autocomplete)."""
        async with self._sessionmaker() as session:
            ledger = Ledger(session)
            rows = await ledger.history(guild_id, member_id)
            appealed = set(
                (
                    await session.scalars(
                        select(ModQueueItem.action_id).where(
                            ModQueueItem.guild_id == guild_id,
                            ModQueueItem.kind == "appeal",
                            ModQueueItem.member_id == member_id,
                        )
                    )
                ).all()
            )
        pardoned = {r.refers_to_id for r in rows if r.kind == "pardon"}
        return [
            r
            for r in rows
            if r.kind in ("nudge", "hold", "remove", "timeout", "warn")
            and r.id not in pardoned
            and r.id not in appealed
        ]

    async def queue(self, guild_id: int, limit: int = 25) -> list[QueueItem]:
        async with self._sessionmaker() as session:
            return await ReviewQueue(session).open_items(guild_id, limit)

    async def queue_item(self, guild_id: int, item_id: int) -> QueueItem:
        async with self._sessionmaker() as session:
            return await ReviewQueue(session).get(guild_id, item_id)

    async def claim(self, guild_id: int, item_id: int, *, moderator_id: int) -> QueueItem:
        async with self._sessionmaker() as session, session.begin():
            return await ReviewQueue(session).claim(guild_id, item_id, moderator_id)

    async def decide(
        self, guild_id: int, item_id: int, *, moderator_id: int, decision: str, reason: str
    ) -> Decision:
        """Approve (restore / dismiss / grant), Remove (confirm / remove / deny) or Timeout."""
        reason = (reason or "").strip() or f"{decision} on review"
        policy = await self.policies.get(guild_id)
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            queue = ReviewQueue(session)
            ledger = Ledger(session)
            item = await queue.get(guild_id, item_id)
            if item.kind == "appeal" and decision == "timeout":
                raise NotAllowed("An appeal is granted (Approve) or denied (Remove).")
            item = await queue.close(
                guild_id,
                item_id,
                moderator_id=moderator_id,
                decision=decision,
                reason=reason,
                at=now,
            )
            result = Decision(item)
            action = await ledger.get(guild_id, item.action_id) if item.action_id else None
            result.entries.append(
                await ledger.record(
                    guild_id=guild_id,
                    kind="review",
                    member_id=item.member_id,
                    thread_id=item.thread_id,
                    actor_id=moderator_id,
                    reason=reason,
                    at=now,
                    refers_to_id=item.action_id,
                    details={"item": item.id, "item_kind": item.kind, "decision": decision},
                )
            )
            plan = await self._decision_rows(
                ledger, queue, item, action, decision, reason, moderator_id, policy, now
            )
            result.entries += plan.rows
        await self._decision_effects(result, plan, moderator_id)
        return result

    async def _decision_rows(
        self,
        ledger: Ledger,
        queue: ReviewQueue,
        item: QueueItem,
        action: LedgerEntry | None,
        decision: str,
        reason: str,
        moderator_id: int,
        policy: LadderPolicy,
        now: datetime,
    ) -> _DecisionPlan:
        plan = _DecisionPlan()
        gid = item.guild_id
        copy = item.message_copy
        member = item.member_id
        common: dict[str, Any] = {
            "guild_id": gid,
            "actor_id": moderator_id,
            "reason": reason,
            "at": now,
        }
        if item.kind == "held":
            assert action is not None
            if decision == "approve":
                plan.restore = copy
                plan.rows.append(
                    await ledger.pardon(
                        gid, action.id, actor_id=moderator_id, reason=f"approved: {reason}"
                    )
                    if action.member_id is not None
                    else await ledger.record(kind="log", refers_to_id=action.id, **common)
                )
                plan.tell = "Your held comment was approved and is back in the thread."
            elif decision == "remove":
                plan.rows.append(
                    await ledger.record(
                        kind="remove",
                        member_id=member,
                        message=copy,
                        refers_to_id=action.id,
                        rule=action.rule,
                        guideline=action.guideline,
                        **common,
                        details={"confirms": action.id},
                    )
                )
                plan.tell = "A moderator reviewed your held comment; it stays removed."
            else:
                plan.timeout_member = member
        elif item.kind == "report":
            if decision == "approve":
                return plan  # dismissed: the comment stays, nobody is scored
            plan.delete = copy
            if decision == "remove" or member is None:
                entry = await ledger.record(
                    kind="remove",
                    member_id=member,
                    message=copy,
                    points=policy.points_for("remove") if member else 0.0,
                    guideline=f"reported: {item.reason}"[:300],
                    **common,
                )
                plan.rows.append(entry)
                plan.announce = entry
            else:
                plan.timeout_member = member
        else:  # appeal
            assert action is not None
            if decision == "approve":
                plan.rows.append(
                    await ledger.pardon(
                        gid,
                        action.id,
                        actor_id=moderator_id,
                        reason=f"appeal #{item.id} granted: {reason}",
                    )
                )
                plan.lift = action
                restored = await ledger.references(action.id, "restore")
                if action.message_copy and action.kind in ("hold", "remove") and not restored:
                    plan.restore = action.message_copy
                    plan.restore_of = action.id
                for open_item in await queue.open_items(gid, limit=500):
                    if open_item.kind == "held" and open_item.action_id == action.id:
                        await queue.close(
                            gid,
                            open_item.id,
                            moderator_id=moderator_id,
                            decision="approve",
                            reason=f"appeal #{item.id} granted",
                            at=now,
                        )
                plan.tell = f"Your appeal of case #{action.id} was granted. Reason: {reason}"
            else:
                plan.tell = f"Your appeal of case #{action.id} was denied. Reason: {reason}"
        plan.restore_of = plan.restore_of or (action.id if action else None)
        return plan

    async def _decision_effects(self, result: Decision, plan: _DecisionPlan, mod: int) -> None:
        item = result.item
        gid = item.guild_id
        if plan.delete is not None and plan.delete.message_id is not None:
            await self.port.delete_message(
                plan.delete.channel_id, plan.delete.message_id, f"review #{item.id}"
            )
        if plan.restore is not None:
            new_id = await self.port.restore_message(
                plan.restore, f"restored after review #{item.id}"
            )
            result.restored_message_id = new_id
            async with self._sessionmaker() as session, session.begin():
                result.entries.append(
                    await Ledger(session).record(
                        guild_id=gid,
                        kind="restore",
                        member_id=plan.restore.author_id,
                        message=plan.restore,
                        actor_id=mod,
                        refers_to_id=plan.restore_of,
                        at=self._clock(),
                        details={"new_message_id": new_id, "item": item.id},
                    )
                )
        if plan.lift is not None:
            await self._lift_timeout(plan.lift)
        if plan.timeout_member is not None:
            name = item.message_copy.author_name if item.message_copy else str(plan.timeout_member)
            entry = await self.timeout(
                gid,
                plan.timeout_member,
                name,
                actor_id=mod,
                reason=f"review #{item.id}: {item.decision_reason}",
                refers_to_id=item.action_id,
            )
            result.entries.append(entry)
        if plan.announce is not None:
            result.dm_delivered = await self._announce(plan.announce)
        for entry in result.entries:
            if entry.kind in ("review", "restore", "pardon"):
                await self.port.post_modlog(gid, entry, modlog_summary(entry))
        if plan.tell:
            result.dm_delivered = await self._tell(result.entries[0], item.member_id, plan.tell)

    # -- settings ------------------------------------------------------------------------------
    async def policy(self, guild_id: int) -> LadderPolicy:
        return await self.policies.get(guild_id)

    async def update_policy(
        self, guild_id: int, changes: dict[str, object], *, actor_id: int, reason: str
    ) -> LadderPolicy:
        reason = self._reason(reason)
        policy = await self.policies.update(guild_id, dict(changes), actor_id=actor_id)
        async with self._sessionmaker() as session, session.begin():
            entry = await Ledger(session).record(
                guild_id=guild_id,
                kind="settings",
                actor_id=actor_id,
                reason=reason,
                at=self._clock(),
                details={k: str(v) for k, v in changes.items()},
            )
        await self.port.post_modlog(guild_id, entry, modlog_summary(entry))
        return policy

    def level_names(self) -> list[str]:
        return [level.name.lower() for level in Level]


@dataclass
class _DecisionPlan:
    rows: list[LedgerEntry] = field(default_factory=list)
    restore: MessageCopy | None = None
    restore_of: int | None = None
    delete: MessageCopy | None = None
    lift: LedgerEntry | None = None
    timeout_member: int | None = None
    announce: LedgerEntry | None = None
    tell: str | None = None
