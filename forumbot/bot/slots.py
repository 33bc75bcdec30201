"""Answer slots: how many searches (and other answers that read the archive) run at once.

Their statements go through the database driver's thread one after another anyway, so more at
once only interleaves them and makes every one of them late. The rest wait in line, first come
first served, and a command can see that it would wait (`full`) and acknowledge its interaction
first instead of leaving the member without an answer while it does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class AnswerSlots:
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("at least one answer slot")
        self.size = size
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    @property
    def full(self) -> bool:
        """A new answer would wait: every slot is taken, or others are already in line."""
        return self.running >= self.size or self.waiting > 0

    async def take(self) -> None:
        """Take a slot; returns without suspending when one is free (no other task can take it
        between a check of `full` and this call), else waits in line."""
        if not self.full:
            self.running += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as we were cancelled: pass it on
            raise

    def release(self) -> None:
        # Handed straight to the first in line: `running` stays, and nobody can jump the queue.
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.running -= 1

    async def __aenter__(self) -> None:
        await self.take()

    async def __aexit__(self, *_: Any) -> None:
        self.release()
