"""What the pipeline keeps in memory per member and per thread is let go: a long-running bot
sees every member and thread its guilds ever had (the 50,000-comment soak, bench/README.md)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.pipeline import HeatTracker, KeyedLocks
from tests.unit.moderation.conftest import ALICE, message


async def test_per_member_locks_go_once_nobody_holds_them(service: ModerationService) -> None:
    for n in range(30):
        await service.handle_message(message(f"A calm remark {n}.", author=ALICE + n))
    assert len(service.pipeline._locks) == 0


async def test_keyed_locks_still_serialise_one_key() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def work(name: str, pause: float) -> None:
        async with locks.hold("member"):
            order.append(f"{name} in")
            await asyncio.sleep(pause)
            order.append(f"{name} out")

    await asyncio.gather(work("a", 0.01), work("b", 0))
    assert order == ["a in", "a out", "b in", "b out"]
    assert len(locks) == 0


def test_heat_tracker_forgets_quiet_threads_and_keeps_counting_busy_ones() -> None:
    heat = HeatTracker()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    window = timedelta(seconds=60)
    for thread in range(HeatTracker.SWEEP_EVERY - 1):
        heat.hit(thread, start, messages=100, window=window)
    assert len(heat) == HeatTracker.SWEEP_EVERY - 1
    later = start + timedelta(minutes=5)
    # The sweep runs on the next comment: every quiet thread goes, the busy one stays.
    assert not heat.hit(10**6, later, messages=3, window=window)
    assert len(heat) == 1
    assert not heat.hit(10**6, later, messages=3, window=window)
    assert heat.hit(10**6, later, messages=3, window=window)  # the third comment heats it
