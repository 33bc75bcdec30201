"""Moderators' own actions go through the moderation outbox, as the automatic ones do: warn,
timeout, pardon, every decision on a queue item (from a button, a slash command or the
dashboard, which all call these services), thread controls and settings changes. Their side
effects commit with the ledger row; when the process dies between that commit and Discord, two
other processes draining together do each effect once: one DM, one mod-log post per action.
On SQLite and PostgreSQL (`db_url`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.civility.rules import RuleSet
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.errors import ModerationError
from forumbot.services.moderation.ledger import Ledger
from forumbot.services.moderation.outbox import CLAIM_FOR, Outbox
from forumbot.services.moderation.port import RecordingPort
from forumbot.services.moderation.rules import RuleBook
from forumbot.storage.models.moderation import ModAction
from forumbot.storage.models.outbox import ModOutbox
from tests.unit.moderation.conftest import ALICE, BOB, GUILD, MOD_A, MOD_B, THREAD, Clock, message


@dataclass
class Case:
    """An action a moderator takes, and what it must do on Discord exactly once."""

    act: Callable[[ModerationService, int], Awaitable[object]]
    expected: dict[str, int]
    # The member who must get exactly one DM (None: nobody is told).
    member: int | None = ALICE


async def _held(service: ModerationService) -> int:
    out = await service.handle_message(message("you are an idiot", author=ALICE))
    assert out.queue_item is not None
    return out.queue_item.id


async def _warn(service: ModerationService, _ref: int = 0) -> object:
    return await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="be civil")


async def _timeout(service: ModerationService, _ref: int = 0) -> object:
    return await service.members.timeout(
        GUILD, ALICE, "alice", actor_id=MOD_A, reason="cool off", minutes=10
    )


async def _approve(service: ModerationService, item: int) -> object:
    return await service.desk.decide(
        GUILD, item, moderator_id=MOD_A, decision="approve", reason="fine"
    )


async def _remove_report(service: ModerationService, item: int) -> object:
    return await service.desk.decide(
        GUILD, item, moderator_id=MOD_A, decision="remove", reason="rude"
    )


async def _decide_timeout(service: ModerationService, item: int) -> object:
    return await service.desk.decide(
        GUILD, item, moderator_id=MOD_A, decision="timeout", reason="again"
    )


async def _grant_appeal(service: ModerationService, item: int) -> object:
    return await service.desk.decide(
        GUILD, item, moderator_id=MOD_B, decision="grant", reason="fair point"
    )


async def _deny_appeal(service: ModerationService, item: int) -> object:
    return await service.desk.decide(GUILD, item, moderator_id=MOD_B, decision="deny", reason="no")


async def _pardon(service: ModerationService, case: int) -> object:
    return await service.members.pardon(GUILD, case, actor_id=MOD_B, reason="mistake")


async def _lock(service: ModerationService, _ref: int = 0) -> object:
    return await service.threads.apply(GUILD, THREAD, "lock", actor_id=MOD_A, reason="heated")


async def _settings(service: ModerationService, _ref: int = 0) -> object:
    return await service.update_policy(
        GUILD, {"heat_messages": 50}, actor_id=MOD_A, reason="calmer threads"
    )


async def _setup_held(service: ModerationService) -> int:
    return await _held(service)


async def _setup_report(service: ModerationService) -> int:
    item = await service.desk.report(
        message("a comment someone reported", author=ALICE), reporter_id=BOB, reason="rude"
    )
    return item.id


async def _setup_appeal(service: ModerationService) -> int:
    out = await service.handle_message(message("you are an idiot", author=ALICE))
    item = await service.desk.appeal(
        GUILD, out.entries[0].id, member_id=ALICE, text="I was quoting someone"
    )
    return item.id


async def _setup_timeout_case(service: ModerationService) -> int:
    entry = await service.members.timeout(
        GUILD, ALICE, "alice", actor_id=MOD_A, reason="cool off", minutes=10
    )
    return entry.id


CASES: dict[str, tuple[Callable[[ModerationService], Awaitable[int]] | None, Case]] = {
    "warn": (None, Case(_warn, {"modlog": 1, "notify": 1})),
    "timeout": (None, Case(_timeout, {"timeout": 1, "modlog": 1, "notify": 1})),
    # Restored, pardoned; the review, the pardon and the restore in the mod-log; one DM.
    "approve held": (_setup_held, Case(_approve, {"restore": 1, "modlog": 3, "notify": 1})),
    # A report upheld: the comment deleted, the removal announced (DM) and the review logged.
    "remove reported": (
        _setup_report,
        Case(_remove_report, {"delete": 1, "modlog": 2, "notify": 1}),
    ),
    # A held comment met with a timeout: the timeout announced once Discord accepted it.
    "timeout held": (
        _setup_held,
        Case(_decide_timeout, {"timeout": 1, "modlog": 2, "notify": 1}),
    ),
    # Granted: the hold pardoned, the comment back, one DM saying so.
    "grant appeal": (
        _setup_appeal,
        Case(_grant_appeal, {"restore": 1, "modlog": 3, "notify": 1}),
    ),
    "deny appeal": (_setup_appeal, Case(_deny_appeal, {"modlog": 1, "notify": 1})),
    # The running timeout lifted, the pardon logged, the member told.
    "pardon": (_setup_timeout_case, Case(_pardon, {"timeout": 1, "modlog": 1, "notify": 1})),
    "lock thread": (
        None,
        Case(_lock, {"thread": 1, "announce": 1, "modlog": 1}, member=None),
    ),
    "settings": (None, Case(_settings, {"modlog": 1}, member=None)),
}


def _crash_after_commit(service: ModerationService, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies right after the action commits: nothing of the outbox is done."""

    async def died(items: Sequence[object]) -> dict[int, str | None]:
        return {}

    monkeypatch.setattr(service.outbox, "run", died)


@pytest.mark.parametrize("name", list(CASES))
async def test_a_crash_between_commit_and_discord_loses_nothing_and_doubles_nothing(
    name: str,
    service: ModerationService,
    port: RecordingPort,
    clock: Clock,
    db_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from forumbot.storage.db import make_engine, make_sessionmaker

    setup, case = CASES[name]
    ref = await setup(service) if setup is not None else 0
    clock.advance(seconds=5)  # the action is not in the same instant as its setup
    port.calls.clear()
    async with sessionmaker() as session:
        before = {r.id for r in await session.scalars(select(ModOutbox))}
    notices_before = await _notices(sessionmaker)
    _crash_after_commit(service, monkeypatch)
    await case.act(service, ref)
    # Nothing reached Discord: the action's effects are only rows, committed with it.
    assert port.calls == []
    async with sessionmaker() as session:
        written = [r for r in await session.scalars(select(ModOutbox)) if r.id not in before]
    assert written and all(r.done_at is None for r in written)

    # Two other processes (the scheduler holder and one taking over) drain together once the
    # dead writer's claims lapse; what follows from a row (a DM's outcome, an announcement, a
    # restored comment's mod-log post) is written and done once too.
    clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)
    engine = make_engine(db_url)
    try:
        ports = [RecordingPort(), RecordingPort()]
        outboxes = [
            Outbox(sessionmaker, ports[0], holder="a", clock=clock),
            Outbox(make_sessionmaker(engine), ports[1], holder="b", clock=clock),
        ]
        for _round in range(4):
            await asyncio.gather(*(o.drain() for o in outboxes))
    finally:
        await engine.dispose()
    calls = Counter(call for p in ports for call, _args in p.calls)
    assert dict(calls) == case.expected
    if case.member is not None:
        dms = [args for p in ports for args in p.named("notify")]
        assert [dm.member_id for dm in dms] == [case.member]  # type: ignore[attr-defined]
    async with sessionmaker() as session:
        rows = list(await session.scalars(select(ModOutbox)))
        assert all(r.done_at is not None for r in rows)
        keys = [r.key for r in rows]
        assert len(keys) == len(set(keys))
    # The DM's outcome is recorded once, by whichever process sent it.
    assert await _notices(sessionmaker) == notices_before + (case.member is not None)


async def _notices(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return len(
            list(await session.scalars(select(ModAction.id).where(ModAction.kind == "notice")))
        )


async def test_the_writer_does_them_at_once_and_nobody_again(
    service: ModerationService,
    port: RecordingPort,
    clock: Clock,
) -> None:
    """Without a crash the moderator's process does its effects itself; a drain after finds
    nothing left (no second DM, no second post)."""
    item = await _held(service)
    port.calls.clear()
    decision = await service.desk.decide(
        GUILD, item, moderator_id=MOD_A, decision="approve", reason="fine"
    )
    assert Counter(c for c, _ in port.calls) == {"restore": 1, "modlog": 3, "notify": 1}
    assert decision.restored_message_id is not None
    assert decision.dm_delivered is True
    assert "restore" in [e.kind for e in decision.entries]
    clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)
    assert await service.outbox.drain() == 0
    assert len(port.calls) == 5


async def test_a_refused_timeout_is_said_and_not_announced(
    service: ModerationService,
    port: RecordingPort,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Discord refuses a moderator's timeout (the bot's role is too low): the moderator gets a
    clear error, the member gets no "you have been timed out" DM, the mod-log says what failed."""

    async def refuse(*_args: object) -> bool:
        port.calls.append(("timeout", _args))
        return False

    monkeypatch.setattr(port, "timeout_member", refuse)
    with pytest.raises(ModerationError, match="refused the timeout"):
        await _timeout(service)
    assert [c for c, _ in port.calls] == ["timeout", "modlog_text"]
    (text,) = port.named("modlog_text")
    assert "could not time the member out" in str(text)


async def test_dms_closed_on_a_moderators_warning_tells_the_modlog_once(
    service: ModerationService,
    port: RecordingPort,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    port.dms_open = False
    entry = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="be civil")
    posts = port.named("modlog")
    assert len(posts) == 2 and "DMs closed" in posts[1][1]  # type: ignore[index]
    async with sessionmaker() as session:
        notices = await Ledger(session).references(entry.id, "notice")
    assert [n.details["dm"] for n in notices] == ["closed"]


async def test_two_processes_ending_the_same_slow_mode_end_it_once(
    service: ModerationService,
    port: RecordingPort,
    clock: Clock,
    db_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    test_rules: RuleSet,
) -> None:
    """Scheduled work runs in the scheduler lease holder; should two processes still end the
    same slow mode at once (a holder that stalled past its lease), the database lets one."""
    from forumbot.storage.db import make_engine, make_sessionmaker

    await service.update_policy(GUILD, {"heat_messages": 3}, actor_id=MOD_A, reason="test")
    for n in range(3):
        await service.handle_message(message(f"A calm remark, number {n}."))
    assert port.named("thread")  # automatic slow mode is on
    port.calls.clear()
    later = clock.now + timedelta(hours=2)
    engine = make_engine(db_url)
    try:
        other_port = RecordingPort()
        other = ModerationService(
            make_sessionmaker(engine),
            other_port,
            rules=RuleBook(sessionmaker, base=lambda: test_rules),
            clock=clock,
            holder="other",
        )
        ended = await asyncio.gather(
            service.threads.expire_slowmodes(later), other.threads.expire_slowmodes(later)
        )
    finally:
        await engine.dispose()
    assert sorted(len(e) for e in ended) == [0, 1]
    calls = Counter(call for p in (port, other_port) for call, _args in p.calls)
    assert dict(calls) == {"thread": 1, "announce": 1, "modlog": 1}
    async with sessionmaker() as session:
        ends = list(
            await session.scalars(select(ModAction.id).where(ModAction.kind == "slowmode_end"))
        )
    assert len(ends) == 1


async def test_a_refused_lift_says_the_timeout_was_not_ended(
    service: ModerationService,
    port: RecordingPort,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = await _setup_timeout_case(service)
    port.calls.clear()

    async def refuse(*_args: object) -> bool:
        return False

    monkeypatch.setattr(port, "timeout_member", refuse)
    await service.members.pardon(GUILD, case, actor_id=MOD_B, reason="mistake")
    (text,) = port.named("modlog_text")
    assert "could not end the member's timeout" in str(text)
