"""The Activity page's daily rollup gives exactly the counts a grouping of the ledger gives:
folded in incrementally, rows not yet folded added at read time, never counted twice when two
processes fold at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.moderation.casebook import Casebook
from forumbot.services.moderation.rollup import SETTLE, ActivityRollup
from forumbot.storage.models.moderation import ModAction
from forumbot.storage.models.web import ModActivityDay

GUILD, OTHER = 1001, 1002
KINDS = ("nudge", "hold", "remove", "shadow", "pardon")


async def _add(
    sessionmaker: async_sessionmaker[AsyncSession], rng: random.Random, n: int, *, newest: datetime
) -> Counter[tuple[str, str, str]]:
    """n ledger rows over the 40 days before `newest` (some in another guild); the counts
    per (day, kind, rule) of those in GUILD."""
    expected: Counter[tuple[str, str, str]] = Counter()
    async with sessionmaker() as session, session.begin():
        for _ in range(n):
            guild = GUILD if rng.random() < 0.8 else OTHER
            at = newest - timedelta(seconds=rng.randrange(40 * 86400))
            kind = rng.choice(KINDS)
            rule = rng.choice((None, "r1", "r2", "r3"))
            session.add(ModAction(guild_id=guild, kind=kind, rule=rule, created_at=at))
            if guild == GUILD:
                expected[(at.date().isoformat(), kind, rule or "")] += 1
    return expected


async def _counts(rollup: ActivityRollup) -> Counter[tuple[str, str, str]]:
    """Per (day, kind) and per (rule, kind): compared with the same sums of `expected`."""
    per_day, per_rule = await rollup.counts(GUILD, datetime(2000, 1, 1, tzinfo=UTC))
    out: Counter[tuple[str, str, str]] = Counter()
    for day, kind, n in per_day:
        out[("day", day, kind)] += n
    for rule, kind, n in per_rule:
        out[("rule", rule, kind)] += n
    return out


def _sums(expected: Counter[tuple[str, str, str]]) -> Counter[tuple[str, str, str]]:
    out: Counter[tuple[str, str, str]] = Counter()
    for (day, kind, rule), n in expected.items():
        out[("day", day, kind)] += n
        if rule:
            out[("rule", rule, kind)] += n
    return out


async def test_rollup_counts_equal_the_ledger_while_it_grows(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    rng = random.Random(5)
    rollup = ActivityRollup(sessionmaker)
    now = datetime.now(UTC)
    expected = await _add(sessionmaker, rng, 400, newest=now - SETTLE * 2)
    # Nothing folded yet: everything is read from the ledger.
    assert await _counts(rollup) == _sums(expected)
    assert await rollup.catch_up(GUILD, now) > 0
    assert await _counts(rollup) == _sums(expected)
    # Fresh rows (not settled) stay in the tail; older new rows are folded next time.
    expected += await _add(sessionmaker, rng, 50, newest=now - SETTLE * 2)
    fresh = ModAction(guild_id=GUILD, kind="hold", rule="r1", created_at=now)
    async with sessionmaker() as session, session.begin():
        session.add(fresh)
    expected[(now.date().isoformat(), "hold", "r1")] += 1
    assert await _counts(rollup) == _sums(expected)
    await rollup.catch_up(GUILD, now)
    assert await _counts(rollup) == _sums(expected)
    assert await rollup.catch_up(GUILD, now + SETTLE * 2) >= 1
    assert await _counts(rollup) == _sums(expected)
    assert await rollup.catch_up(GUILD, now + SETTLE * 2) == 0


async def test_two_processes_folding_at_once_count_each_row_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    rng = random.Random(9)
    now = datetime.now(UTC)
    expected = await _add(sessionmaker, rng, 300, newest=now - SETTLE * 2)
    first, second = ActivityRollup(sessionmaker), ActivityRollup(sessionmaker)
    folded = await asyncio.gather(first.catch_up(GUILD, now), second.catch_up(GUILD, now))
    assert min(folded) == 0 < max(folded)  # one folded, the other found nothing to do
    await first.catch_up(GUILD, now)  # whichever deferred catches up now
    assert await _counts(second) == _sums(expected)
    async with sessionmaker() as session:
        total = await session.scalar(
            select(func.sum(ModActivityDay.n)).where(ModActivityDay.guild_id == GUILD)
        )
    assert total == sum(expected.values())


async def test_activity_page_reads_the_same_as_before(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    rng = random.Random(3)
    now = datetime.now(UTC)
    expected = await _add(sessionmaker, rng, 300, newest=now)
    activity = await Casebook(sessionmaker).activity(GUILD, days=30)
    first = activity.days[0]
    by_kind = Counter(
        {(d, k): n for d, kinds in activity.by_kind.items() for k, n in kinds.items()}
    )
    want = Counter()
    want_rules: Counter[tuple[str, str]] = Counter()
    for (day, kind, rule), n in expected.items():
        if day >= first:
            want[(day, kind)] += n
            if rule:
                want_rules[(rule, kind)] += n
    assert by_kind == want
    assert (
        Counter({(r, k): n for r, kinds in activity.by_rule.items() for k, n in kinds.items()})
        == want_rules
    )
