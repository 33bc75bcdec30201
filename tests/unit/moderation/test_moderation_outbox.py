"""The moderation outbox on both engines: an action's side effects commit with it and are done
exactly once, by the process that wrote them or, when it could not (it died, Discord or the
database failed), by the drain, with backoff; moderators are told what failed for good."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.ledger import Ledger
from forumbot.services.moderation.outbox import (
    BACKOFF,
    CLAIM_FOR,
    MAX_ATTEMPTS,
    Outbox,
)
from forumbot.services.moderation.port import RecordingPort
from forumbot.storage.models.outbox import ModOutbox
from tests.unit.moderation.conftest import ALICE, Clock, message


def crash_after_commit(service: ModerationService, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies right after the case commits: nothing of the outbox is done."""

    async def died(ids: Sequence[int]) -> dict[int, str | None]:
        return {}

    monkeypatch.setattr(service.outbox, "run", died)


def effects(port: RecordingPort) -> list[str]:
    return [name for name, _args in port.calls]


async def rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[ModOutbox]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(ModOutbox).order_by(ModOutbox.id)))


async def test_side_effects_commit_with_the_case_and_survive_a_crash(
    service: ModerationService,
    port: RecordingPort,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crash_after_commit(service, monkeypatch)
    out = await service.handle_message(message("you are an idiot"))
    assert out.kinds() == ["hold"] and port.calls == []
    assert [r.kind for r in await rows(sessionmaker)] == ["delete", "modlog", "dm"]
    # Another process holding the scheduler lease finds them once the writer had its chance.
    survivor_port = RecordingPort()
    survivor = Outbox(sessionmaker, survivor_port, holder="survivor", clock=clock)
    assert await survivor.drain() == 0  # the writer's claim: it may still be doing them
    clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)
    assert await survivor.drain() == 3
    assert effects(survivor_port) == ["delete", "modlog", "notify"]
    assert await survivor.drain() == 0 and len(survivor_port.calls) == 3  # once, not again
    async with sessionmaker() as session:
        notices = await Ledger(session).references(out.entries[0].id, "notice")
    assert [n.details["dm"] for n in notices] == ["sent"]
    assert all(r.outcome == "done" for r in await rows(sessionmaker))


async def test_two_processes_draining_together_do_each_effect_once(
    service: ModerationService,
    clock: Clock,
    db_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from forumbot.storage.db import make_engine, make_sessionmaker

    crash_after_commit(service, monkeypatch)
    for n in range(4):
        await service.handle_message(message(f"you are an idiot number {n}", author=ALICE + n))
    clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)  # the dead writer's claims lapse
    engine = make_engine(db_url)
    try:
        ports = [RecordingPort(), RecordingPort()]
        outboxes = [
            Outbox(sessionmaker, ports[0], holder="a", clock=clock),
            Outbox(make_sessionmaker(engine), ports[1], holder="b", clock=clock),
        ]
        await asyncio.gather(*(o.drain() for o in outboxes))
    finally:
        await engine.dispose()
    calls = ports[0].calls + ports[1].calls
    assert len(calls) == 12  # 4 cases x (delete, mod-log, DM), each by one process only
    deleted = [args[1] for name, args in calls if name == "delete"]  # type: ignore[index]
    assert len(set(deleted)) == 4


async def test_discord_failing_is_retried_with_backoff_and_done_once(
    service: ModerationService,
    port: RecordingPort,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    port.unavailable["notify"] = 2  # Discord answers the DM with 503 twice
    out = await service.handle_message(message("you are an idiot"))
    assert effects(port) == ["delete", "modlog"] and out.dm_delivered is None
    assert await service.outbox.pending() == 1
    assert await service.outbox.drain() == 0  # not due before its backoff
    clock.advance(seconds=BACKOFF[0] + 1)
    await service.outbox.drain()  # the second 503
    assert effects(port) == ["delete", "modlog"]
    clock.advance(seconds=BACKOFF[1] + 1)
    assert await service.outbox.drain() == 1
    assert effects(port) == ["delete", "modlog", "notify"]
    (dm,) = [r for r in await rows(sessionmaker) if r.kind == "dm"]
    assert (dm.outcome, dm.attempts) == ("done", 3)
    assert service.outbox.retried == 2
    assert port.named("modlog_text") == []  # retried in time: nothing to tell


async def test_an_effect_that_keeps_failing_is_given_up_and_moderators_told(
    service: ModerationService, port: RecordingPort, clock: Clock
) -> None:
    port.unavailable["delete"] = 1000
    out = await service.handle_message(message("you are an idiot"))
    for _ in range(MAX_ATTEMPTS + 2):
        clock.advance(seconds=max(BACKOFF) + 1)
        await service.outbox.drain()
    texts = [text for _g, text in port.named("modlog_text")]  # type: ignore[misc]
    label = out.entries[0].label
    assert texts == [
        f"{label}: could not delete the comment (after {MAX_ATTEMPTS} attempts: "
        "PortUnavailable: delete: 503 Service Unavailable). A moderator may need to do it by hand."
    ]
    assert await service.outbox.pending() == 0 and service.outbox.failed == 1
    # The rest of the case was done meanwhile, once.
    assert len(port.named("modlog")) == 1 and len(port.named("notify")) == 1


async def test_discord_refusing_for_good_is_told_at_once(
    service: ModerationService, port: RecordingPort, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*args: Any) -> bool:
        return False  # e.g. 403 Missing Permissions

    monkeypatch.setattr(port, "delete_message", refused)
    out = await service.handle_message(message("you are an idiot"))
    texts = [text for _g, text in port.named("modlog_text")]  # type: ignore[misc]
    assert texts == [
        f"{out.entries[0].label}: could not delete the comment (Discord refused it). "
        "A moderator may need to do it by hand."
    ]


async def test_bookkeeping_lost_after_discord_answered_redoes_with_the_same_nonce(
    service: ModerationService,
    port: RecordingPort,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outbox = service.outbox
    finish = outbox._finish
    failures = {"left": 1}

    async def flaky_finish(row: Any, outcome: str, *rest: Any) -> list[int]:
        if row.kind == "dm" and failures["left"]:
            failures["left"] -= 1
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        return await finish(row, outcome, *rest)

    monkeypatch.setattr(outbox, "_finish", flaky_finish)
    await service.handle_message(message("you are an idiot"))
    clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)
    assert await outbox.drain() == 1
    dm_nonces = [n for n in port.nonces if port.nonces.count(n) == 2]
    # Sent twice, the same nonce both times: Discord keeps the first and drops the repeat.
    assert len(port.named("notify")) == 2 and len(set(dm_nonces)) == 1


async def test_automatic_slow_mode_goes_through_the_outbox(
    service: ModerationService,
    port: RecordingPort,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    from tests.unit.moderation.conftest import GUILD

    await service.update_policy(GUILD, {"heat_messages": 3}, actor_id=99, reason="test")
    port.calls.clear()
    before = len(await rows(sessionmaker))  # the settings change's own mod-log post
    for n in range(3):
        await service.handle_message(message(f"A calm remark, number {n}."))
    assert effects(port) == ["thread", "announce", "modlog"]
    assert [r.kind for r in (await rows(sessionmaker))[before:]] == ["thread", "modlog", "announce"]
