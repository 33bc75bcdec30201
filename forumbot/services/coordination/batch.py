"""One database round trip for many concurrent callers (claims, cache versions).

In a burst of interactions each one used to make its own trip through the database driver's
thread; the trips queued there and the acknowledgements with them. A `RoundTrips` runs one trip
at a time for every call made since the previous trip started, so a burst costs a few trips.
A call is only ever served by a trip that started after it was made: a shared read never
returns something older than an unshared one would have.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

# SQLite binds at most 32,766 parameters in a statement; PostgreSQL 65,535.
DEFAULT_MAX_BATCH = 500


class RoundTrips(Generic[K, V]):
    """`await trips(key)` -> `run([...keys of the calls in one trip...])[this call's index]`.

    `run` gets the keys of the calls in arrival order (duplicates included: it decides what a
    repeated key gets) and returns one result per key; an exception fails every call of that
    trip and none of the next.
    """

    def __init__(
        self,
        run: Callable[[list[K]], Awaitable[Sequence[V]]],
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._waiting: list[tuple[K, asyncio.Future[V]]] = []
        self._worker: asyncio.Task[None] | None = None
        self.trips = 0  # round trips made (tests and benchmarks count them)

    async def __call__(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="coordination round trips")
        # A cancelled caller leaves the trip to serve the others.
        return await asyncio.shield(future)

    async def _work(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            self.trips += 1
            try:
                results = await self._run([key for key, _ in batch])
            except asyncio.CancelledError:  # shutting down: nobody waits forever
                for _, future in batch + self._waiting:
                    future.cancel()
                self._waiting.clear()
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                        # Retrieved here so a caller that was cancelled leaves no "never
                        # retrieved" warning; the others still get it from `await`.
                        future.add_done_callback(_consume)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


def _consume(future: asyncio.Future[Any]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        future.exception()
