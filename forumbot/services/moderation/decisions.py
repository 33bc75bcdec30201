"""The review desk: reports, appeals, claims and decisions on queue items (held comments,
reports, appeals). A decision's side effects (restore, delete, timeout, mod-log posts, DMs) are
outbox rows written in the decision's transaction and done once (outbox.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.moderation.errors import NotAllowed, NotFound
from forumbot.services.moderation.ladder import LadderPolicy
from forumbot.services.moderation.ledger import MEMBER_ACTIONS, Ledger, chain_of
from forumbot.services.moderation.members import MemberActions
from forumbot.services.moderation.notices import modlog_summary
from forumbot.services.moderation.numbers import ITEM_NAMES, parse_ref
from forumbot.services.moderation.outbox import Effect, Outbox, OutboxRow, modlog_effect
from forumbot.services.moderation.policy import PolicyStore
from forumbot.services.moderation.port import ModerationPort
from forumbot.services.moderation.queue import ReviewQueue
from forumbot.services.moderation.types import LedgerEntry, MessageCopy, QueueItem
from forumbot.storage.models.moderation import ModQueueItem


@dataclass
class Decision:
    item: QueueItem
    entries: list[LedgerEntry] = field(default_factory=list)
    restored_message_id: int | None = None
    dm_delivered: bool | None = None


class ReviewDesk:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        port: ModerationPort,
        policies: PolicyStore,
        members: MemberActions,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessionmaker = sessionmaker
        self.port = port
        self.policies = policies
        self.members = members
        self._clock = clock

    async def report(self, copy: MessageCopy, *, reporter_id: int, reason: str) -> QueueItem:
        async with self._sessionmaker() as session, session.begin():
            item = await ReviewQueue(session).report(copy, reporter_id=reporter_id, reason=reason)
        return item

    async def appeal(
        self, guild_id: int, action_id: int, *, member_id: int, text: str
    ) -> QueueItem:
        async with self._sessionmaker() as session, session.begin():
            return await ReviewQueue(session).appeal(
                guild_id, action_id, member_id=member_id, text=text
            )

    async def appeal_target(
        self,
        guild_id: int,
        *,
        member_id: int,
        number: int | None = None,
        action_id: int | None = None,
    ) -> LedgerEntry:
        """The case a member may appeal, by its number (or, from a DM button, its row), checked
        before the member writes anything: it exists, it is theirs, it is still open."""
        async with self._sessionmaker() as session:
            ledger = Ledger(session)
            if number is not None:
                action = await ledger.case(guild_id, number)
            else:
                assert action_id is not None
                action = await ledger.get(guild_id, action_id)
            await ReviewQueue(session).check_appeal(action, member_id)
        return action

    async def appealable_cases(self, guild_id: int, member_id: int) -> list[LedgerEntry]:
        """One entry per comment (or per action about no comment) the member can still appeal:
        the latest unpardoned case of each chain none of whose steps was appealed yet."""
        async with self._sessionmaker() as session:
            ledger = Ledger(session)
            rows = await ledger.member_rows(guild_id, member_id, MEMBER_ACTIONS | {"pardon"})
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
        actions = [r for r in rows if r.kind in MEMBER_ACTIONS]
        seen: set[int] = set()
        offered: list[LedgerEntry] = []
        for action in reversed(actions):
            if action.id in seen:
                continue
            chain = chain_of(actions, action)
            ids = {c.id for c in chain}
            seen |= ids
            if ids & appealed:
                continue
            open_steps = [c for c in chain if c.id not in pardoned]
            if open_steps:
                offered.append(open_steps[-1])
        return sorted(offered, key=lambda e: e.id)

    async def queue(
        self,
        guild_id: int,
        *,
        kind: str | None = None,
        member_id: int | None = None,
        thread_id: int | None = None,
    ) -> list[QueueItem]:
        """Every open item matching the filters (the cog pages them)."""
        async with self._sessionmaker() as session:
            return await ReviewQueue(session).open_items(
                guild_id, kind=kind, member_id=member_id, thread_id=thread_id
            )

    async def queue_item_by_ref(self, guild_id: int, ref: str) -> QueueItem:
        """The item a moderator names: "case 12" (a held comment), "report 4", "appeal 3"; a
        bare number is accepted when only one open item has it."""
        kind, number = parse_ref(ref)
        async with self._sessionmaker() as session:
            queue = ReviewQueue(session)
            if kind is not None:
                return await queue.by_number(guild_id, kind, number)
            matches = [i for i in await queue.open_items(guild_id) if i.number == number]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFound(
                f"No open item numbered {number}; write `case {number}`, "
                f"`report {number}` or `appeal {number}`."
            )
        names = " or ".join(f"`{ITEM_NAMES[i.kind]} {number}`" for i in matches)
        raise NotAllowed(f"Several open items are numbered {number}: say {names}.")

    async def queue_item(self, guild_id: int, item_id: int) -> QueueItem:
        async with self._sessionmaker() as session:
            return await ReviewQueue(session).get(guild_id, item_id)

    async def claim(self, guild_id: int, item_id: int, *, moderator_id: int) -> QueueItem:
        async with self._sessionmaker() as session, session.begin():
            return await ReviewQueue(session).claim(guild_id, item_id, moderator_id)

    async def decide(
        self, guild_id: int, item_id: int, *, moderator_id: int, decision: str, reason: str
    ) -> Decision:
        """Approve (restore / dismiss), Remove (confirm / remove) or Timeout a held comment or
        a report; Grant or Deny an appeal (Approve and Remove are taken to mean those)."""
        policy = await self.policies.get(guild_id)
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            queue = ReviewQueue(session)
            ledger = Ledger(session)
            item = await queue.get(guild_id, item_id)
            decision = _decision_word(item, decision)
            reason = (reason or "").strip() or _DEFAULT_REASONS[decision]
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
                    details={
                        "item": item.id,
                        "item_kind": item.kind,
                        "item_label": item.label,
                        "decision": decision,
                    },
                )
            )
            deciding = _Deciding(
                ledger, queue, item, action, decision, reason, moderator_id, policy, now
            )
            plan = await _PLANNERS.get(item.kind, _plan_appeal)(deciding)
            result.entries += plan.rows
            timeout = None
            if plan.timeout_member is not None:
                copy = item.message_copy
                timeout = await self.members.record_timeout(
                    ledger,
                    guild_id,
                    plan.timeout_member,
                    copy.author_name if copy else str(plan.timeout_member),
                    actor_id=moderator_id,
                    reason=f"{item.label}: {item.decision_reason}",
                    policy=policy,
                    now=now,
                    refers_to_id=item.action_id,
                )
                result.entries.append(timeout)
            # Every side effect commits with the decision (an outbox row each, keyed per
            # action): a crash after this commit loses none, a second process doubles none.
            rows = await self.outbox.write(
                session,
                guild_id,
                self._decision_effects(result, plan, timeout, moderator_id, now),
                entry_id=result.entries[0].id,
            )
        done = await self.outbox.run(rows)
        await self._after(result, plan, rows, done)
        return result

    @property
    def outbox(self) -> Outbox:
        return self.members.outbox

    def _decision_effects(
        self,
        result: Decision,
        plan: _DecisionPlan,
        timeout: LedgerEntry | None,
        mod: int,
        now: datetime,
    ) -> list[Effect]:
        """What the decision does on Discord, in order: the comment, the timeouts, the
        mod-log posts, and last the DMs."""
        item = result.item
        review = result.entries[0]
        effects: list[Effect] = []
        if plan.delete is not None and plan.delete.message_id is not None:
            effects.append(
                Effect(
                    "delete",
                    f"case:{review.id}:delete",
                    {
                        "channel_id": plan.delete.channel_id,
                        "message_id": plan.delete.message_id,
                        "reason": f"{item.label} reviewed",
                        "label": item.label,
                    },
                )
            )
        if plan.restore is not None:
            # Its ledger row (with the new message's id) and mod-log post follow once done.
            effects.append(
                Effect(
                    "restore",
                    f"case:{review.id}:restore",
                    {
                        "copy": plan.restore.to_json(),
                        "note": f"restored after review of {item.label.lower()}",
                        "restore_of": plan.restore_of,
                        "item_id": item.id,
                        "actor_id": mod,
                        "label": item.label,
                    },
                )
            )
        for lifted in plan.lift:
            effects += self.members.lift_effects(lifted, review, now)
        if timeout is not None:
            effects += self.members.timeout_effects(timeout)
        if plan.announce is not None:
            effects += self.members.announce_effects(plan.announce)
        for entry in result.entries:
            # A removal confirming a hold is a new case: the mod-log shows it too (a report's
            # removal is announced above, DM included).
            confirming = entry.kind == "remove" and entry is not plan.announce
            if entry.kind in ("review", "pardon") or confirming:
                effects.append(modlog_effect(entry, modlog_summary(entry)))
        if plan.tell:
            effects += self.members.tell_effects(review, item.member_id, plan.tell)
        return effects

    async def _after(
        self,
        result: Decision,
        plan: _DecisionPlan,
        rows: list[OutboxRow],
        done: dict[int, str | None],
    ) -> None:
        """What the caller is told: the restored comment (when it is back already) and whether
        the last DM arrived (None: not done yet, the drain retries it)."""
        if plan.restore is not None and plan.restore_of is not None:
            async with self._sessionmaker() as session:
                restores = await Ledger(session).references(plan.restore_of, "restore")
            mine = [r for r in restores if r.details.get("item") == result.item.id]
            if mine:
                result.entries.append(mine[-1])
                result.restored_message_id = mine[-1].details.get("new_message_id")
        dms = [r for r in rows if r.kind == "dm"]
        if dms:
            result.dm_delivered = {"done": True, "closed": False}.get(done.get(dms[-1].id) or "")


_DEFAULT_REASONS = {
    "approve": "approved on review",
    "remove": "removed on review",
    "timeout": "timed out on review",
    "grant": "appeal granted",
    "deny": "appeal denied",
}


def _decision_word(item: QueueItem, decision: str) -> str:
    """Appeals are granted or denied; held comments and reports approved, removed or met with
    a timeout. The appeal buttons say Grant / Deny but send approve / remove."""
    if item.kind == "appeal":
        word = {"approve": "grant", "remove": "deny"}.get(decision, decision)
        if word not in ("grant", "deny"):
            raise NotAllowed(f"{item.label}: an appeal is granted or denied.")
        return word
    if decision not in ("approve", "remove", "timeout"):
        raise NotAllowed(
            f"{item.label}: approve, remove or timeout it (grant and deny are for appeals)."
        )
    return decision


@dataclass
class _DecisionPlan:
    rows: list[LedgerEntry] = field(default_factory=list)
    restore: MessageCopy | None = None
    restore_of: int | None = None
    delete: MessageCopy | None = None
    lift: list[LedgerEntry] = field(default_factory=list)
    timeout_member: int | None = None
    announce: LedgerEntry | None = None
    tell: str | None = None


@dataclass(frozen=True)
class _Deciding:
    """One decision being written: the item, the action it is about, who decided and why."""

    ledger: Ledger
    queue: ReviewQueue
    item: QueueItem
    action: LedgerEntry | None
    decision: str
    reason: str
    moderator_id: int
    policy: LadderPolicy
    now: datetime

    @property
    def common(self) -> dict[str, Any]:
        return {
            "guild_id": self.item.guild_id,
            "actor_id": self.moderator_id,
            "reason": self.reason,
            "at": self.now,
        }

    def finish(self, plan: _DecisionPlan) -> _DecisionPlan:
        plan.restore_of = plan.restore_of or (self.action.id if self.action else None)
        return plan


async def _plan_held(d: _Deciding) -> _DecisionPlan:
    """A held comment: approve restores it (and pardons), remove confirms, timeout escalates."""
    plan = _DecisionPlan()
    action = d.action
    assert action is not None
    if d.decision == "approve":
        plan.restore = d.item.message_copy
        plan.rows.append(
            await d.ledger.pardon(
                d.item.guild_id, action.id, actor_id=d.moderator_id, reason=f"approved: {d.reason}"
            )
            if action.member_id is not None
            else await d.ledger.record(kind="log", refers_to_id=action.id, **d.common)
        )
        plan.tell = "Your held comment was approved and is back in the thread."
    elif d.decision == "remove":
        removal = await d.ledger.record(
            kind="remove",
            member_id=d.item.member_id,
            message=d.item.message_copy,
            refers_to_id=action.id,
            rule=action.rule,
            guideline=action.guideline,
            **d.common,
            details={"confirms": action.id},
        )
        plan.rows.append(removal)
        plan.tell = (
            f"A moderator reviewed your held comment; it stays removed ({removal.label.lower()})."
            f" If you think this is wrong: `/appeal case:{removal.case_number}` in the server."
        )
    else:
        plan.timeout_member = d.item.member_id
    return d.finish(plan)


async def _plan_report(d: _Deciding) -> _DecisionPlan:
    """A member's report: approve dismisses it; remove or timeout takes the comment down."""
    plan = _DecisionPlan()
    if d.decision == "approve":
        return plan  # dismissed: the comment stays, nobody is scored
    member = d.item.member_id
    plan.delete = d.item.message_copy
    if d.decision == "remove" or member is None:
        entry = await d.ledger.record(
            kind="remove",
            member_id=member,
            message=d.item.message_copy,
            points=d.policy.points_for("remove") if member else 0.0,
            guideline=f"reported: {d.item.reason}"[:300],
            **d.common,
        )
        plan.rows.append(entry)
        plan.announce = entry
    else:
        plan.timeout_member = member
    return d.finish(plan)


async def _plan_appeal(d: _Deciding) -> _DecisionPlan:
    """An appeal: granting undoes everything done about the comment (or action) appealed:
    every step of its chain is pardoned, running timeouts end, a held or removed comment comes
    back (its open review item closes); denying only tells the member."""
    plan = _DecisionPlan()
    action = d.action
    assert action is not None
    gid, item = d.item.guild_id, d.item
    if d.decision != "grant":
        plan.tell = f"Your appeal ({item.label}) was denied. Reason: {d.reason}"
        return d.finish(plan)
    chain = await d.ledger.chain(gid, action)
    ids = [c.id for c in chain]
    pardoned = {p.refers_to_id for p in await d.ledger.pardons_of(ids)}
    for step in chain:
        if step.id not in pardoned:
            plan.rows.append(
                await d.ledger.pardon(
                    gid,
                    step.id,
                    actor_id=d.moderator_id,
                    reason=f"{item.label} granted: {d.reason}",
                )
            )
    plan.lift = [c for c in chain if c.kind == "timeout"]
    taken_down = [
        c for c in chain if c.message_copy is not None and c.kind in ("hold", "remove", "timeout")
    ]
    restored = [r for c in taken_down for r in await d.ledger.references(c.id, "restore")]
    if taken_down and not restored:
        plan.restore = taken_down[-1].message_copy
        plan.restore_of = taken_down[-1].id
    for open_item in await d.queue.open_items(gid):
        if open_item.kind == "held" and open_item.action_id in ids:
            await d.queue.close(
                gid,
                open_item.id,
                moderator_id=d.moderator_id,
                decision="approve",
                reason=f"{item.label} granted",
                at=d.now,
            )
    cases = ", ".join(f"#{c.case_number}" for c in chain if c.case_number)
    plan.tell = (
        f"Your appeal was granted ({item.label}). Pardoned: case {cases}; the points no longer "
        f"count against you{' and your comment is back' if plan.restore else ''}. "
        f"Reason: {d.reason}"
    )
    return d.finish(plan)


_PLANNERS = {"held": _plan_held, "report": _plan_report, "appeal": _plan_appeal}
