"""Answer slots: a bounded number at once, the rest in line first come first served, and a
waiter cancelled while in line (or just as it was handed a slot) never loses a slot."""

from __future__ import annotations

import asyncio

import pytest

from forumbot.bot.slots import AnswerSlots


async def test_slots_are_taken_in_arrival_order_and_handed_on() -> None:
    slots = AnswerSlots(2)
    order: list[int] = []
    release = asyncio.Event()

    async def answer(i: int) -> None:
        async with slots:
            order.append(i)
            await release.wait()

    tasks = [asyncio.create_task(answer(i)) for i in range(5)]
    await asyncio.sleep(0)
    assert order == [0, 1] and slots.full and slots.waiting == 3
    release.set()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert slots.running == 0 and not slots.full


async def test_a_cancelled_waiter_does_not_keep_or_lose_a_slot() -> None:
    slots = AnswerSlots(1)
    await slots.take()
    gone = asyncio.create_task(slots.take())
    handed = asyncio.create_task(slots.take())
    last = asyncio.create_task(slots.take())
    await asyncio.sleep(0)
    gone.cancel()
    slots.release()  # skips the cancelled waiter: `handed` gets it
    handed.cancel()  # ...but is cancelled before it runs: the slot goes on to `last`
    await asyncio.gather(gone, handed, return_exceptions=True)
    await asyncio.wait_for(last, 1)
    assert slots.running == 1 and slots.waiting == 0
    slots.release()
    assert slots.running == 0


def test_at_least_one_slot() -> None:
    with pytest.raises(ValueError):
        AnswerSlots(0)
