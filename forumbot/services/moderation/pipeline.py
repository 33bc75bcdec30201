"""From a screened message to carried-out actions.

The ledger rows and the side effects they call for (delete, timeout, mod-log posts, DMs) commit
in one transaction, the effects as outbox rows (outbox.py); then this process does them at once,
through the port, and their outcomes (DM delivered or not) are appended as rows of their own. A
crash after the commit leaves the rows for the scheduler's drain: nothing lost, nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.coordination.claims import claim_message, revision_key
from forumbot.services.moderation.ladder import LadderPolicy, Level, climb
from forumbot.services.moderation.ledger import Ledger
from forumbot.services.moderation.notices import (
    member_notice,
    modlog_summary,
    thread_announcement,
)
from forumbot.services.moderation.outbox import (
    Effect,
    Outbox,
    OutboxRow,
    delete_effect,
    dm_effect,
    modlog_effect,
    thread_effect,
    timeout_effect,
)
from forumbot.services.moderation.policy import PolicyStore
from forumbot.services.moderation.port import ModerationPort, ThreadChange
from forumbot.services.moderation.queue import ReviewQueue
from forumbot.services.moderation.screening import Screening
from forumbot.services.moderation.types import LedgerEntry, MessageCopy, QueueItem, utcnow
from forumbot.storage.models.moderation import ModSeenMessage

Screener = Callable[[MessageCopy], Awaitable[Screening]]


class HeatTracker:
    """Counts recent comments per thread; says when a thread crosses the heat threshold.

    Threads nobody wrote in for longer than the longest window are forgotten (swept every
    `SWEEP_EVERY` comments): a long-running bot sees every thread its guilds ever had, and
    their counts would otherwise stay in memory for good."""

    SWEEP_EVERY = 1024

    def __init__(self) -> None:
        self._recent: dict[int, deque[datetime]] = {}
        self._longest = timedelta(0)
        self._hits = 0

    def hit(self, thread_id: int, at: datetime, *, messages: int, window: timedelta) -> bool:
        self._longest = max(self._longest, window)
        self._hits += 1
        if self._hits % self.SWEEP_EVERY == 0:
            self.sweep(at)
        recent = self._recent.setdefault(thread_id, deque())
        recent.append(at)
        while recent and at - recent[0] > window:
            recent.popleft()
        if len(recent) >= messages:
            recent.clear()  # start counting afresh once slow mode is on
            return True
        return False

    def sweep(self, now: datetime) -> None:
        """Forget the threads whose last comment is older than any window."""
        for thread_id, recent in list(self._recent.items()):
            if not recent or now - recent[-1] > self._longest:
                del self._recent[thread_id]

    def __len__(self) -> int:
        return len(self._recent)


class KeyedLocks:
    """One asyncio.Lock per key, kept only while someone holds or waits for it: a lock per
    member would otherwise stay in memory for every member who ever wrote."""

    def __init__(self) -> None:
        self._locks: dict[Any, tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Any) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


@dataclass
class Outcome:
    """What the pipeline did with one message."""

    screening: Screening
    level: Level = Level.NONE
    entries: list[LedgerEntry] = field(default_factory=list)
    queue_item: QueueItem | None = None
    dm_delivered: bool | None = None
    slowmode: LedgerEntry | None = None
    # Another process (or an earlier delivery of the same event) already screened this revision.
    duplicate: bool = False

    def kinds(self) -> list[str]:
        return [e.kind for e in self.entries]


@dataclass
class _Plan:
    main: LedgerEntry | None = None
    timeout: LedgerEntry | None = None
    delete: bool = False
    notify: bool = False
    extra: list[LedgerEntry] = field(default_factory=list)


class Pipeline:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        port: ModerationPort,
        screener: Screener,
        policies: PolicyStore,
        *,
        clock: Callable[[], datetime] = utcnow,
        server_name: Callable[[int], str] | None = None,
        holder: str = "local",
        outbox: Outbox | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.holder = holder
        self.port = port
        self.outbox = outbox or Outbox(sessionmaker, port, holder=holder, clock=clock)
        self._screen = screener
        self._policies = policies
        self._clock = clock
        self._server_name = server_name or (lambda _gid: "the server")
        self.heat = HeatTracker()
        self._locks = KeyedLocks()

    async def handle(self, copy: MessageCopy) -> Outcome:
        # One message per member at a time, so two quick offences both see each other's points.
        async with self._locks.hold((copy.guild_id, copy.author_id or 0)):
            return await self._handle(copy)

    async def _handle(self, copy: MessageCopy) -> Outcome:
        policy = await self._policies.get(copy.guild_id)
        screening = await self._screen(copy)
        now = self._clock()
        outcome = Outcome(screening)
        effects: list[Effect] = []
        outbox_rows: list[OutboxRow] = []
        async with self._sessionmaker() as session, session.begin():
            # The claim commits with the ledger rows: either both exist or neither, and a second
            # screening of the same revision (another process, a replay, a backfill) stops here.
            # A title has no message of its own: its thread stands in for it.
            claim_id = copy.message_id
            if claim_id is None and copy.source == "title":
                claim_id = copy.thread_id or copy.channel_id
            if claim_id is not None and not await claim_message(
                session,
                guild_id=copy.guild_id,
                message_id=claim_id,
                revision=revision_key(copy.source, copy.content),
                holder=self.holder,
            ):
                outcome.duplicate = True
                return outcome
            session.add(
                ModSeenMessage(
                    guild_id=copy.guild_id,
                    thread_id=copy.thread_id,
                    message_id=copy.message_id,
                    author_id=copy.author_id,
                    author_name=copy.author_name[:100],
                    source=copy.source,
                    content=copy.content,
                    action=screening.level.name.lower(),
                    rules=",".join(screening.rule_ids) or None,
                    created_at=now,
                )
            )
            ledger = Ledger(session)
            for hit in screening.shadow:
                # Shadow rules change nothing for anyone: a row for moderators to study, no
                # points, no DM, no mod-log post.
                await ledger.record(
                    guild_id=copy.guild_id,
                    kind="shadow",
                    member_id=copy.author_id,
                    message=copy,
                    rule=hit.rule,
                    guideline=hit.guideline,
                    at=now,
                    details={"would": hit.level.name.lower(), "source": copy.source},
                )
            plan = await self._plan(session, ledger, copy, screening, policy, now)
            if plan.main is not None:
                outcome.entries.append(plan.main)
                if plan.main.kind == "hold":
                    outcome.queue_item = await ReviewQueue(session).enqueue_held(
                        copy.guild_id, plan.main.id
                    )
            outcome.entries += plan.extra
            if plan.timeout is not None:
                outcome.entries.append(plan.timeout)
            if plan.main is not None:
                # Written with the case: a crash after this commit loses none of them.
                effects = self._effects(copy, plan)
                outbox_rows = await self.outbox.write(
                    session, copy.guild_id, effects, entry_id=plan.main.id
                )
        if plan.main is not None:
            outcome.level = screening.level
            done = await self.outbox.run(outbox_rows)
            dms = [done.get(r.id) for r in outbox_rows if r.kind == "dm"]
            if dms:
                # None: not done yet (Discord failed; the drain retries it).
                outcome.dm_delivered = None if None in dms else all(d == "done" for d in dms)
        # Heat is members talking: the bot relaying an article's passages is not a flame war.
        if copy.source == "message" and copy.thread_id:
            outcome.slowmode = await self._maybe_slowmode(copy, policy, now)
        return outcome

    async def _plan(
        self,
        session: AsyncSession,
        ledger: Ledger,
        copy: MessageCopy,
        screening: Screening,
        policy: LadderPolicy,
        now: datetime,
    ) -> _Plan:
        level = screening.level
        plan = _Plan()
        if level == Level.NONE:
            return plan
        top = screening.top
        common: dict[str, Any] = {
            "guild_id": copy.guild_id,
            "message": copy,
            "rule": top.rule if top else None,
            "guideline": (top.guideline if top else None) or screening.guideline,
            "at": now,
            "details": {"source": copy.source, "rules": list(screening.rule_ids)},
        }
        if copy.source == "title":
            return await self._plan_title(session, ledger, copy, level, common)
        if not copy.is_member_text:
            return await self._plan_bot_text(session, ledger, copy, level, common)
        assert copy.author_id is not None
        if level == Level.LOG:
            plan.main = await ledger.record(kind="log", member_id=copy.author_id, **common)
            return plan
        past = await ledger.past_actions(copy.guild_id, copy.author_id)
        ladder = climb(level, past, now, policy)
        kind = level.name.lower()
        if level == Level.TIMEOUT:
            # The rule asked for a timeout: the comment goes too (its copy stays in the ledger).
            assert ladder.timeout is not None
            common["details"]["seconds"] = ladder.timeout.total_seconds()
            plan.main = await ledger.record(
                kind="timeout",
                member_id=copy.author_id,
                points=policy.points_for("timeout"),
                expires_at=now + ladder.timeout,
                **common,
            )
            plan.delete = plan.notify = True
            return plan
        plan.main = await ledger.record(
            kind=kind, member_id=copy.author_id, points=policy.points_for(kind), **common
        )
        plan.delete = level >= Level.HOLD
        plan.notify = True
        if ladder.escalated and ladder.timeout is not None:
            plan.timeout = await ledger.record(
                guild_id=copy.guild_id,
                kind="timeout",
                member_id=copy.author_id,
                member_name=copy.author_name,
                channel_id=copy.channel_id,
                thread_id=copy.thread_id,
                rule=plan.main.rule,
                guideline=plan.main.guideline,
                reason=f"{ladder.points_after:.1f} points reached the timeout threshold "
                f"({policy.timeout_threshold:g})",
                at=now,
                expires_at=now + ladder.timeout,
                refers_to_id=plan.main.id,
                details={"seconds": ladder.timeout.total_seconds(), "escalated": True},
            )
        return plan

    @staticmethod
    async def _plan_title(
        session: AsyncSession,
        ledger: Ledger,
        copy: MessageCopy,
        level: Level,
        common: dict[str, Any],
    ) -> _Plan:
        """A thread title cannot be held; flag it for review instead."""
        plan = _Plan()
        plan.main = await ledger.record(kind="log", member_id=copy.author_id, **common)
        if level >= Level.HOLD:
            # reporter 0: the bot itself asks a moderator to look.
            await ReviewQueue(session).report(
                copy, reporter_id=0, reason=f"Thread title flagged by rule {common['rule']}"
            )
        return plan

    @staticmethod
    async def _plan_bot_text(
        session: AsyncSession,
        ledger: Ledger,
        copy: MessageCopy,
        level: Level,
        common: dict[str, Any],
    ) -> _Plan:
        """The bot's own output (citations, imported comments): hide it for review, but there is
        no member to tell, score or time out. A thread's starter message is the article itself:
        flag it rather than delete it from under the thread."""
        plan = _Plan()
        starter = copy.message_id is not None and copy.message_id == copy.thread_id
        kind = "hold" if level >= Level.HOLD and not starter else "log"
        plan.main = await ledger.record(kind=kind, member_name=copy.author_name, **common)
        plan.delete = kind == "hold"
        if starter and level >= Level.HOLD:
            await ReviewQueue(session).report(
                copy, reporter_id=0, reason=f"Article text flagged by rule {common['rule']}"
            )
        return plan

    def _effects(self, copy: MessageCopy, plan: _Plan) -> list[Effect]:
        """What the plan does on Discord, in the order it is done: the comment goes first,
        then the timeout, the mod-log posts, and last the DMs (which name the case)."""
        main = plan.main
        assert main is not None
        effects: list[Effect] = []
        if plan.delete and copy.message_id is not None:
            effects.append(delete_effect(main, copy.channel_id, copy.message_id))
        timeout = plan.timeout or (main if main.kind == "timeout" else None)
        if timeout is not None and timeout.member_id is not None:
            effects.append(timeout_effect(timeout))
        for entry in (main, plan.timeout):
            if entry is not None:
                effects.append(modlog_effect(entry, modlog_summary(entry)))
        if plan.notify and main.member_id is not None:
            server = self._server_name(copy.guild_id)
            for entry in (main, plan.timeout):
                if entry is not None:
                    effects.append(dm_effect(entry, member_notice(entry, server=server)))
        return effects

    async def _maybe_slowmode(
        self, copy: MessageCopy, policy: LadderPolicy, now: datetime
    ) -> LedgerEntry | None:
        assert copy.thread_id is not None
        window = timedelta(seconds=policy.heat_window_seconds)
        if not self.heat.hit(copy.thread_id, now, messages=policy.heat_messages, window=window):
            return None
        async with self._sessionmaker() as session, session.begin():
            ledger = Ledger(session)
            for row in reversed(await ledger.thread_rows(copy.guild_id, copy.thread_id)):
                if row.kind in ("slowmode", "slowmode_end"):
                    if row.kind == "slowmode" and (row.expires_at is None or row.expires_at > now):
                        return None  # already slowed (by a moderator or by us)
                    break
            entry = await ledger.record(
                guild_id=copy.guild_id,
                kind="slowmode",
                channel_id=copy.thread_id,
                thread_id=copy.thread_id,
                at=now,
                expires_at=now + timedelta(minutes=policy.slowmode_minutes),
                reason=f"thread heated up: {policy.heat_messages} comments within "
                f"{policy.heat_window_seconds:g} s",
                details={"seconds": policy.slowmode_seconds, "automatic": True},
            )
            # The thread change, its announcement and the mod-log post commit with the entry.
            rows = await self.outbox.write(
                session,
                copy.guild_id,
                [
                    thread_effect(
                        entry,
                        copy.thread_id,
                        ThreadChange(slowmode_seconds=policy.slowmode_seconds),
                        "automatic slow mode",
                        thread_announcement(entry),
                    ),
                    modlog_effect(entry, modlog_summary(entry)),
                ],
                entry_id=entry.id,
            )
        await self.outbox.run(rows)
        return entry
