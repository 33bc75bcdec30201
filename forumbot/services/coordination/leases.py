"""Leases: a named piece of work held by one process until it stops renewing.

A lease row says who holds it and until when. Taking one is a single conditional UPDATE (ours
already, or expired) or an INSERT that loses quietly to a concurrent one, so two processes never
both believe they hold it. Times come from each process's clock: processes on different hosts
need clocks within a few seconds of each other (NTP), well inside the time to live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.storage.models.coordination import Lease
from forumbot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

# A dead holder's lease is free this long after its last renewal; renewals come 3x as often.
DEFAULT_TTL = timedelta(seconds=15)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def process_identity() -> str:
    """host:pid:random, unique per process start (a restarted process is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        holder: str,
        *,
        ttl: timedelta = DEFAULT_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.holder = holder
        self.ttl = ttl
        self._clock = clock

    async def acquire(self, name: str) -> bool:
        """Take or renew `name`; True when this process holds it afterwards."""
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(Lease)
                .where(
                    and_(
                        Lease.name == name,
                        or_(Lease.holder == self.holder, Lease.expires_at < now),
                    )
                )
                .values(
                    holder=self.holder,
                    expires_at=now + self.ttl,
                    # A takeover starts a new tenure; a renewal keeps the old start.
                    acquired_at=case((Lease.holder == self.holder, Lease.acquired_at), else_=now),
                )
            )
            if getattr(result, "rowcount", 0):
                return True
            return await insert_ignore(
                session,
                Lease.__table__,  # type: ignore[arg-type]
                {
                    "name": name,
                    "holder": self.holder,
                    "expires_at": now + self.ttl,
                    "acquired_at": now,
                },
                ["name"],
            )

    async def acquire_all(self, names: Iterable[str]) -> bool:
        """Take every lease in `names` or none (those taken are released again)."""
        taken: list[str] = []
        for name in names:
            if not await self.acquire(name):
                await self.release(*taken)
                return False
            taken.append(name)
        return True

    async def release(self, *names: str) -> None:
        if not names:
            return
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                delete(Lease).where(Lease.name.in_(names), Lease.holder == self.holder)
            )

    async def since(self, names: Iterable[str]) -> datetime | None:
        """When the current (or last, if it died) holders of `names` took them: the earliest.
        None when no row is left (never held, or released by a clean stop)."""
        async with self._sessionmaker() as session:
            value = await session.scalar(
                select(func.min(Lease.acquired_at)).where(Lease.name.in_(list(names)))
            )
            return as_utc(value) if value is not None else None

    async def holder_of(self, name: str) -> tuple[str, datetime] | None:
        """Who holds `name` and until when (None: nobody, or the lease has expired)."""
        async with self._sessionmaker() as session:
            row = (await session.execute(select(Lease).where(Lease.name == name))).scalar()
            if row is None:
                return None
            expires = as_utc(row.expires_at)
            return (row.holder, expires) if expires >= self._clock() else None


class LeaseKeeper:
    """Keeps a set of leases renewed in the background and says which are held right now.

    `hold(name)` asks for a lease the keeper will try to take on every round (taking it over
    once its holder stops renewing); `on_acquired` callbacks run when one is newly taken (e.g.
    finish the publications a dead holder left half done). If a renewal finds a lease taken by
    another process (this one stalled longer than the time to live), `on_lost` runs.
    """

    def __init__(self, leases: Leases, *, interval: float | None = None) -> None:
        self.leases = leases
        self.interval = interval if interval is not None else leases.ttl.total_seconds() / 3
        self.wanted: list[str] = []
        self.held: set[str] = set()
        self.on_acquired: list[Callable[[str], object]] = []
        self.on_lost: list[Callable[[str], object]] = []
        self._task: asyncio.Task[None] | None = None

    def holds(self, name: str) -> bool:
        return name in self.held

    def hold(self, name: str) -> None:
        if name not in self.wanted:
            self.wanted.append(name)

    async def round(self) -> None:
        """One renewal round: renew what is held, try to take what is wanted."""
        for name in list(self.wanted):
            try:
                got = await self.leases.acquire(name)
            except Exception:
                # The database is away: keep what we believe we hold until it comes back; a
                # holder that cannot renew loses the lease to others only after the ttl.
                log.warning("lease renewal failed; retrying", extra={"lease": name})
                continue
            if got and name not in self.held:
                self.held.add(name)
                log.info("lease acquired", extra={"lease": name, "holder": self.leases.holder})
                for callback in self.on_acquired:
                    result = callback(name)
                    if asyncio.iscoroutine(result):
                        await result
            elif not got and name in self.held:
                self.held.discard(name)
                log.error("lease lost to another process", extra={"lease": name})
                for callback in self.on_lost:
                    result = callback(name)
                    if asyncio.iscoroutine(result):
                        await result

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.round()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="lease-keeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        held, self.held = list(self.held), set()
        try:
            await self.leases.release(*held)
        except Exception:
            log.warning("could not release leases on stop", extra={"leases": held})
