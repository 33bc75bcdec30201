"""A daily rollup of the ledger for the dashboard's Activity page: counts per guild, UTC day,
kind and rule, so a 30-day chart reads a few hundred rows instead of grouping tens of
thousands of ledger rows on every view.

It is folded in from the ledger by row id, incrementally, when the page is read (no write on
the moderation path, so screening and decisions pay nothing). The ledger is append-only, so
rows above a guild's mark are exactly those not counted yet: the page adds them, grouped, to
what the rollup holds, in one statement (one snapshot). Rows are folded in only once they
are `SETTLE` old, so a transaction still open with a lower id is not skipped (one open for
longer than that would be). Two processes folding at once: the mark moves by a conditional
update first, and the one whose update found the mark moved does nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import String, cast, func, literal, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.storage.models.moderation import ModAction
from forumbot.storage.models.web import ModActivityDay, ModActivityMark
from forumbot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

SETTLE = timedelta(minutes=2)
_day = cast(func.date(ModAction.created_at), String(10))
_rule = func.coalesce(ModAction.rule, literal(""))


class _Moved(Exception):
    """Another process moved the mark first: undo this fold."""


class ActivityRollup:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def catch_up(self, guild_id: int, now: datetime) -> int:
        """Fold the guild's settled ledger rows above its mark into the rollup; returns how
        far the mark moved (0: nothing to fold, or another process folded them)."""
        try:
            # Usually there is nothing settled to fold: find out without a write transaction.
            async with self._sessionmaker() as session:
                if await self._next_mark(session, guild_id, now) is None:
                    return 0
            async with self._sessionmaker() as session, session.begin():
                return await self._fold(session, guild_id, now)
        except _Moved:
            return 0
        except DBAPIError as exc:  # e.g. SQLite's stale snapshot when another process folded
            log.info("activity rollup deferred", extra={"guild_id": guild_id, "error": str(exc)})
            return 0

    @staticmethod
    async def _next_mark(
        session: AsyncSession, guild_id: int, now: datetime
    ) -> tuple[int | None, int] | None:
        """(the mark, or None when the guild has none yet; the mark to move it to), or None
        when no settled row lies above it."""
        old = await session.scalar(
            select(ModActivityMark.last_id).where(ModActivityMark.guild_id == guild_id)
        )
        new = await session.scalar(
            select(func.max(ModAction.id)).where(
                ModAction.guild_id == guild_id,
                ModAction.id > (old or 0),
                ModAction.created_at < now - SETTLE,
            )
        )
        return None if new is None else (old, int(new))

    async def _fold(self, session: AsyncSession, guild_id: int, now: datetime) -> int:
        found = await self._next_mark(session, guild_id, now)
        if found is None:
            return 0
        old, new = found
        start = old or 0
        if old is None:
            claimed = await insert_ignore(
                session,
                ModActivityMark.__table__,  # type: ignore[arg-type]
                {"guild_id": guild_id, "last_id": new},
                ["guild_id"],
            )
        else:
            moved = await session.execute(
                update(ModActivityMark)
                .where(ModActivityMark.guild_id == guild_id, ModActivityMark.last_id == old)
                .values(last_id=new)
            )
            claimed = moved.rowcount == 1  # type: ignore[attr-defined]
        if not claimed:
            raise _Moved
        # One INSERT ... SELECT ... GROUP BY ... ON CONFLICT: the database adds each group to
        # its day's row (a first fold of 100,000 rows is one statement, not 30,000).
        table = ModActivityDay.__table__
        groups = (
            select(literal(guild_id), _day, ModAction.kind, _rule, func.count())
            .where(ModAction.guild_id == guild_id, ModAction.id > start, ModAction.id <= new)
            .group_by(_day, ModAction.kind, _rule)
        )
        dialect = session.get_bind().dialect.name
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        fold = insert.from_select(["guild_id", "day", "kind", "rule", "n"], groups)
        fold = fold.on_conflict_do_update(
            index_elements=["guild_id", "day", "kind", "rule"],
            set_={"n": table.c.n + fold.excluded.n},
        )
        await session.execute(fold)
        return int(new - start)

    async def counts(
        self, guild_id: int, since: datetime
    ) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
        """From the day of `since` (a midnight, UTC) on: (day, kind, n) and, over the whole span,
        (rule, kind, n) for rows with a rule: the rollup summed in the database, plus the rows
        above the mark. One statement, so one snapshot: a fold committing meanwhile is seen
        entirely or not at all, never counted twice."""
        first_day = since.date().isoformat()
        mark = (
            select(func.coalesce(func.max(ModActivityMark.last_id), 0))
            .where(ModActivityMark.guild_id == guild_id)
            .scalar_subquery()
        )
        d = ModActivityDay
        span = (d.guild_id == guild_id, d.day >= first_day)
        empty = literal("")
        per_day = (
            select(literal("d"), d.day, d.kind, empty, func.sum(d.n))
            .where(*span)
            .group_by(d.day, d.kind)
        )
        per_rule = (
            select(literal("r"), empty, d.kind, d.rule, func.sum(d.n))
            .where(*span, d.rule != "")
            .group_by(d.rule, d.kind)
        )
        # The tail is found by id (few rows above the mark), its days filtered after grouping:
        # a condition on created_at here makes SQLite walk 30 days of the ledger by date.
        tail = (
            select(literal("t"), _day, ModAction.kind, _rule, func.count())
            .where(ModAction.guild_id == guild_id, ModAction.id > mark)
            .group_by(_day, ModAction.kind, _rule)
            .having(_day >= first_day)
        )
        async with self._sessionmaker() as session:
            rows = (await session.execute(union_all(per_day, per_rule, tail))).tuples().all()
        days: Counter[tuple[str, str]] = Counter()
        rules: Counter[tuple[str, str]] = Counter()
        for tag, day, kind, rule, n in rows:
            if tag != "r":
                days[(str(day), str(kind))] += int(n)
            if tag != "d" and rule:
                rules[(str(rule), str(kind))] += int(n)
        return (
            [(day, kind, n) for (day, kind), n in days.items()],
            [(rule, kind, n) for (rule, kind), n in rules.items()],
        )
