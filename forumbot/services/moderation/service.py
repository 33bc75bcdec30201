"""ModerationService: the one object cogs talk to. It wires rules, the pipeline, member actions,
the review desk and thread controls together; side effects go through a ModerationPort."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.civility.engine import Engine
from forumbot.domain.civility.rules import RuleSet
from forumbot.services.moderation.backtest import BacktestReport, backtest
from forumbot.services.moderation.decisions import Decision, ReviewDesk
from forumbot.services.moderation.durable import DurableScreening
from forumbot.services.moderation.ladder import LadderPolicy, Level
from forumbot.services.moderation.ledger import Ledger
from forumbot.services.moderation.members import MemberActions, MemberRecord
from forumbot.services.moderation.notices import modlog_summary
from forumbot.services.moderation.outbox import Outbox, modlog_effect
from forumbot.services.moderation.pipeline import Outcome, Pipeline
from forumbot.services.moderation.policy import PolicyStore
from forumbot.services.moderation.port import ModerationPort
from forumbot.services.moderation.rules import RuleBook, RuleChange
from forumbot.services.moderation.screening import Screening, screen
from forumbot.services.moderation.threads import ThreadControls
from forumbot.services.moderation.types import LedgerEntry, MessageCopy, utcnow
from forumbot.storage.models.moderation import ModSeenMessage

__all__ = ["Decision", "MemberRecord", "ModerationService", "Outcome"]


class ModerationService:
    """Screening, backtests and settings live here; the parts are used directly:
    `members` (warn, timeout, escalate, pardon, history, case), `desk` (report, appeal, queue,
    claim, decide), `threads` (lock, slow mode, pin, summary) and `rules` (the rule book)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        port: ModerationPort,
        *,
        rules: RuleBook | None = None,
        policies: PolicyStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        server_name: Callable[[int], str] | None = None,
        holder: str = "local",
        effects_port: ModerationPort | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.port = port
        # Side effects of automatic actions go through the outbox; its port raises
        # PortUnavailable on failures worth retrying (`port` reports them as "did not work").
        self.outbox = Outbox(sessionmaker, effects_port or port, holder=holder, clock=clock)
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
            holder=holder,
            outbox=self.outbox,
        )
        # Looked up per call, so a wrapped pipeline.handle (tests count outcomes) is used.
        self.durable = DurableScreening(lambda copy: self.pipeline.handle(copy), port)
        self.threads = ThreadControls(sessionmaker, port, outbox=self.outbox)
        self.members = MemberActions(
            sessionmaker,
            port,
            self.policies,
            clock=clock,
            server_name=self._server_name,
            outbox=self.outbox,
        )
        self.desk = ReviewDesk(sessionmaker, port, self.policies, self.members, clock=clock)

    def _forget_engine(self, guild_id: int) -> None:
        self._engines.pop(guild_id, None)

    def forget_guild(self, guild_id: int) -> None:
        """Drop everything cached for `guild_id` (another process changed its rules or policy)."""
        self.rules.forget(guild_id)  # also drops the engine, through on_change
        self.policies.forget(guild_id)

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

    async def screen_durably(self, copy: MessageCopy) -> Outcome | None:
        """As `handle_message`, retrying through a database outage (None: gave up)."""
        return await self.durable.screen(copy)

    async def last_seen(self, guild_id: int) -> dict[int, int]:
        """thread id -> the newest message id screened in it (where a catch-up starts)."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(ModSeenMessage.thread_id, func.max(ModSeenMessage.message_id))
                .where(
                    ModSeenMessage.guild_id == guild_id,
                    ModSeenMessage.thread_id.is_not(None),
                    ModSeenMessage.source.in_(("message", "relay", "imported")),
                )
                .group_by(ModSeenMessage.thread_id)
            )
            return {int(t): int(m) for t, m in rows if t is not None and m is not None}

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

    # -- settings ------------------------------------------------------------------------------
    async def policy(self, guild_id: int) -> LadderPolicy:
        return await self.policies.get(guild_id)

    async def update_policy(
        self, guild_id: int, changes: dict[str, object], *, actor_id: int, reason: str
    ) -> LadderPolicy:
        reason = self.members.reason(reason)
        policy = await self.policies.update(guild_id, dict(changes), actor_id=actor_id)
        details = {k: str(v) for k, v in changes.items()}
        await self._log_change(guild_id, "settings", actor_id=actor_id, reason=reason, **details)
        return policy

    async def set_rules(
        self, guild_id: int, overrides_yaml: str, *, actor_id: int, reason: str
    ) -> RuleChange:
        """Replace the guild's rule overrides (validated, audited) and say so in the mod-log."""
        change = await self.rules.set_overrides(
            guild_id, overrides_yaml, actor_id=actor_id, reason=reason
        )
        await self._log_rule_change(change)
        return change

    async def set_rule_mode(
        self, guild_id: int, rule_id: str, mode: str, *, actor_id: int, reason: str
    ) -> RuleChange:
        change = await self.rules.set_mode(
            guild_id, rule_id, mode, actor_id=actor_id, reason=reason
        )
        await self._log_rule_change(change, mode=mode)
        return change

    async def _log_rule_change(self, change: RuleChange, **details: str) -> None:
        await self._log_change(
            change.guild_id,
            "rules",
            actor_id=change.actor_id,
            reason=change.reason,
            rule=change.rule,
            change=change.change,
            change_id=str(change.id),
            **details,
        )

    async def _log_change(
        self,
        guild_id: int,
        kind: str,
        *,
        actor_id: int | None,
        reason: str,
        rule: str | None = None,
        **details: str,
    ) -> LedgerEntry:
        """A settings or rules change: a ledger row, and a line in the mod-log."""
        async with self._sessionmaker() as session, session.begin():
            entry = await Ledger(session).record(
                guild_id=guild_id,
                kind=kind,
                actor_id=actor_id,
                reason=reason,
                rule=rule,
                at=self._clock(),
                details=details,
            )
            rows = await self.outbox.write(
                session, guild_id, [modlog_effect(entry, modlog_summary(entry))], entry_id=entry.id
            )
        await self.outbox.run(rows)
        return entry

    def level_names(self) -> list[str]:
        return [level.name.lower() for level in Level]
