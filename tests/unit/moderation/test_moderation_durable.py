"""Screening through a database outage: retried until it answers, moderators told once when it
goes and once when it is back, nothing given up while the outage is shorter than the limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from forumbot.services.moderation import durable
from forumbot.services.moderation.durable import DurableScreening
from forumbot.services.moderation.pipeline import Outcome
from forumbot.services.moderation.port import RecordingPort
from forumbot.services.moderation.screening import Screening
from forumbot.services.moderation.types import MessageCopy


def copy(n: int, guild: int = 1) -> MessageCopy:
    return MessageCopy(
        guild_id=guild, channel_id=2, message_id=n, author_id=3, author_name="m",
        content=f"comment {n}", created_at=datetime(2026, 12, 5, tzinfo=UTC),
    )  # fmt: skip


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(durable, "BACKOFF", (0.01,))


async def test_a_locked_database_is_retried_and_moderators_told_once_each_way() -> None:
    port = RecordingPort()
    failures = {"left": 5}
    handled: list[int | None] = []

    async def handle(c: MessageCopy) -> Outcome:
        if failures["left"] > 0:
            failures["left"] -= 1
            # What SQLite raises once a long write outlasts the busy timeout.
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        handled.append(c.message_id)
        return Outcome(Screening.__new__(Screening))

    screening = DurableScreening(handle, port)
    results = await asyncio.gather(*(screening.screen(copy(n)) for n in range(3)))
    assert all(r is not None for r in results) and sorted(handled) == [0, 1, 2]  # type: ignore[type-var]
    texts = [text for _gid, text in port.named("modlog_text")]  # type: ignore[misc]
    assert sum("Moderation is paused" in t for t in texts) == 1
    assert sum("database is back" in t for t in texts) == 1
    assert screening.retried >= 5


async def test_it_gives_up_only_after_the_limit() -> None:
    async def handle(c: MessageCopy) -> Outcome:
        raise OSError("connection refused")

    screening = DurableScreening(handle, RecordingPort(), give_up_after=0.05)
    assert await screening.screen(copy(1)) is None


async def test_the_driver_error_is_named_when_postgresql_is_starting_up() -> None:
    import asyncpg

    port = RecordingPort()
    failures = {"left": 2}

    async def handle(c: MessageCopy) -> Outcome:
        if failures["left"] > 0:
            failures["left"] -= 1
            # A connect error while the server starts, as storage.db reports it.
            starting = asyncpg.CannotConnectNowError("the database system is starting up")
            raise OperationalError("connect", {}, starting)
        return Outcome(Screening.__new__(Screening))

    assert await DurableScreening(handle, port).screen(copy(1)) is not None
    texts = [text for _gid, text in port.named("modlog_text")]  # type: ignore[misc]
    assert "(CannotConnectNowError)" in texts[0], texts
