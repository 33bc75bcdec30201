"""Reading the ledger in bulk for the dashboard: cases filtered and paged by id (keyset, so a
page costs the same on the first and the thousandth), and actions counted per day."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.moderation.ledger import to_entry
from forumbot.services.moderation.rollup import ActivityRollup
from forumbot.services.moderation.types import LedgerEntry, utcnow
from forumbot.storage.models.moderation import ModAction

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class CaseFilter:
    member_id: int | None = None
    rule: str | None = None
    guideline: str | None = None
    kind: str | None = None
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Activity:
    days: list[str]
    by_kind: dict[str, Counter[str]]  # day -> kind -> n
    by_rule: dict[str, Counter[str]]  # rule -> enforced kind (or "shadow") -> n


class Casebook:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self.rollup = ActivityRollup(sessionmaker)

    @staticmethod
    def _where(guild_id: int, f: CaseFilter) -> list[object]:
        clauses: list[object] = [ModAction.guild_id == guild_id]
        if f.member_id is not None:
            clauses.append(ModAction.member_id == f.member_id)
        if f.rule:
            clauses.append(ModAction.rule == f.rule)
        if f.guideline:
            clauses.append(ModAction.guideline.contains(f.guideline, autoescape=True))
        if f.kind:
            clauses.append(ModAction.kind == f.kind)
        if f.actor_id is not None:
            clauses.append(ModAction.actor_id == f.actor_id)
        if f.since is not None:
            clauses.append(ModAction.created_at >= f.since)
        if f.until is not None:
            clauses.append(ModAction.created_at < f.until)
        return clauses

    async def cases(
        self,
        guild_id: int,
        f: CaseFilter,
        *,
        before_id: int | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[LedgerEntry]:
        """Newest first; the next page starts before the last id of this one."""
        stmt = select(ModAction).where(*self._where(guild_id, f))  # type: ignore[arg-type]
        if before_id is not None:
            stmt = stmt.where(ModAction.id < before_id)
        stmt = stmt.order_by(ModAction.id.desc()).limit(limit)
        async with self._sessionmaker() as session:
            return [to_entry(r) for r in (await session.scalars(stmt)).all()]

    async def after(self, guild_id: int, case_id: int) -> list[LedgerEntry]:
        """What followed a case: every row that refers to it."""
        stmt = (
            select(ModAction)
            .where(ModAction.guild_id == guild_id, ModAction.refers_to_id == case_id)
            .order_by(ModAction.id)
        )
        async with self._sessionmaker() as session:
            return [to_entry(r) for r in (await session.scalars(stmt)).all()]

    async def activity(self, guild_id: int, days: int = 30) -> Activity:
        """Actions per day by kind, and per rule the enforced actions beside shadow ones."""
        since = (utcnow() - timedelta(days=days - 1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        # The daily rollup (rollup.py) plus the few rows not folded in yet: a few hundred
        # rows, not a grouping of every ledger row of 30 days on each view.
        await self.rollup.catch_up(guild_id, utcnow())
        by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        by_rule: dict[str, Counter[str]] = defaultdict(Counter)
        per_day, per_rule = await self.rollup.counts(guild_id, since)
        for day, kind, n in per_day:
            by_kind[day][kind] += n
        for rule, kind, n in per_rule:
            by_rule[rule][kind] += n
        labels = [(since + timedelta(days=i)).date().isoformat() for i in range(days)]
        return Activity(days=labels, by_kind=dict(by_kind), by_rule=dict(by_rule))
