"""The pipeline on a real migrated database: verdict -> ledger -> port effects."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.port import Notice, RecordingPort
from forumbot.storage.models.moderation import ModSeenMessage
from tests.unit.moderation.conftest import ALICE, BOB, GUILD, THREAD, Clock, message


async def test_civil_comment_is_recorded_and_left_alone(
    service: ModerationService, port: RecordingPort, sessionmaker
) -> None:
    out = await service.handle_message(message("I disagree with the author about 1956."))
    assert out.entries == [] and port.calls == []
    async with sessionmaker() as session:
        seen = (await session.scalars(select(ModSeenMessage))).all()
    assert [(s.action, s.source, s.author_id) for s in seen] == [("none", "message", ALICE)]


async def test_insult_is_held_logged_and_member_told(
    service: ModerationService, port: RecordingPort
) -> None:
    copy = message("you are an idiot")
    out = await service.handle_message(copy)
    assert out.kinds() == ["hold"]
    hold = out.entries[0]
    assert (hold.rule, hold.guideline, hold.member_id, hold.points) == (
        "personal-attack", "no personal attacks", ALICE, 2.0,
    )  # fmt: skip
    assert hold.message_copy == copy  # a full copy, attachments and timestamps included
    assert out.queue_item is not None and out.queue_item.kind == "held"
    assert port.named("delete") == [(THREAD, copy.message_id, f"Case #{hold.case_number}: hold "
                                     "(personal-attack)")]  # fmt: skip
    (notice,) = port.named("notify")
    assert isinstance(notice, Notice) and notice.member_id == ALICE
    assert "no personal attacks" in notice.body and f"/appeal case:{hold.id}" in notice.body
    assert "you are an idiot" in notice.body
    assert len(port.named("modlog")) == 1
    assert out.dm_delivered is True


async def test_closed_dms_are_recorded(service: ModerationService, port: RecordingPort) -> None:
    port.dms_open = False
    out = await service.handle_message(message("shut up"))
    assert out.kinds() == ["nudge"] and out.dm_delivered is False
    assert port.named("delete") == []  # a nudge keeps the message
    async with service._sessionmaker() as session:
        from forumbot.services.moderation.ledger import Ledger

        notices = await Ledger(session).references(out.entries[0].id, "notice")
    assert [n.details["dm"] for n in notices] == ["closed"]
    summaries = [summary for _entry, summary in port.named("modlog")]  # type: ignore[misc]
    assert any("DMs closed" in s and f"case #{out.entries[0].id}" in s for s in summaries)


async def test_repeated_holds_escalate_to_growing_timeouts(
    service: ModerationService, port: RecordingPort, clock: Clock
) -> None:
    kinds = []
    for _ in range(5):
        out = await service.handle_message(message("you are an idiot"))
        kinds.append(out.kinds())
        clock.advance(minutes=10)
    assert kinds[:2] == [["hold"], ["hold"]]
    assert kinds[2:] == [["hold", "timeout"]] * 3
    timeouts = port.named("timeout")
    lengths = [until - clock.now for (_g, _m, until, _r) in timeouts]  # type: ignore[misc]
    # Growing: 1 h, 4 h, 16 h (each measured from when it was set; the clock moved 10 min each).
    assert [round((t + timedelta(minutes=10 * (3 - i))).total_seconds() / 3600)
            for i, t in enumerate(lengths)] == [1, 4, 16]  # fmt: skip
    history = await service.members.history(GUILD, ALICE)
    assert [e.kind for e in history.entries].count("timeout") == 3


async def test_decay_forgives_old_offences(service: ModerationService, clock: Clock) -> None:
    await service.handle_message(message("you are an idiot"))
    await service.handle_message(message("you are an idiot"))
    clock.advance(days=10)
    out = await service.handle_message(message("you are an idiot"))
    assert out.kinds() == ["hold"]


async def test_rule_timeout_removes_and_times_out(
    service: ModerationService, port: RecordingPort
) -> None:
    out = await service.handle_message(message("I will hurt you"))
    assert out.kinds() == ["timeout"]
    assert len(port.named("delete")) == 1 and len(port.named("timeout")) == 1


async def test_edit_that_turns_uncivil_is_caught(
    service: ModerationService, port: RecordingPort
) -> None:
    first = message("I think you are wrong", message_id=777)
    assert (await service.handle_message(first)).entries == []
    edited = message("I think you are an idiot", message_id=777, source="edit")
    out = await service.handle_message(edited)
    assert out.kinds() == ["hold"]
    assert port.named("delete")[0][1] == 777  # type: ignore[index]


async def test_shadow_rules_change_nothing(service: ModerationService, port: RecordingPort) -> None:
    out = await service.handle_message(message("banana bread is great"))
    assert out.entries == [] and out.level.name == "NONE"
    assert port.calls == []
    assert [h.rule for h in out.screening.shadow] == ["fruit"]
    record = await service.members.history(GUILD, ALICE)
    assert record.points == 0 and record.entries == ()


async def test_bot_output_is_held_without_member_effects(
    service: ModerationService, port: RecordingPort
) -> None:
    out = await service.handle_message(message("you are an idiot", author=None, source="relay"))
    assert out.kinds() == ["hold"] and out.entries[0].member_id is None
    assert len(port.named("delete")) == 1
    assert port.named("notify") == [] and port.named("timeout") == []


async def test_imported_comment_is_screened_and_recorded(
    service: ModerationService, port: RecordingPort, sessionmaker
) -> None:
    out = await service.handle_message(message("shut up", author=None, source="imported"))
    assert out.kinds() == ["log"]  # no member to nudge: logged for moderators
    assert port.named("notify") == []
    async with sessionmaker() as session:
        seen = (await session.scalars(select(ModSeenMessage))).all()
    assert [(s.source, s.action) for s in seen] == [("imported", "nudge")]


async def test_hot_thread_gets_slow_mode_which_expires(
    service: ModerationService, port: RecordingPort, clock: Clock
) -> None:
    await service.update_policy(
        GUILD, {"heat_messages": 3, "slowmode_minutes": 5}, actor_id=99, reason="test"
    )
    outs = []
    for who in (ALICE, BOB, ALICE):
        outs.append(await service.handle_message(message("calm words", author=who)))
        clock.advance(seconds=5)
    assert [o.slowmode is not None for o in outs] == [False, False, True]
    (thread_call,) = port.named("thread")
    assert thread_call[1].slowmode_seconds == 30  # type: ignore[index]
    assert await service.threads.expire_slowmodes(clock.now) == []
    clock.advance(minutes=6)
    ended = await service.threads.expire_slowmodes(clock.now)
    assert [e.kind for e in ended] == ["slowmode_end"]
    assert port.named("thread")[-1][1].slowmode_seconds == 0  # type: ignore[index]
    assert await service.threads.expire_slowmodes(clock.now) == []  # only once


async def test_bot_relays_do_not_heat_a_thread(
    service: ModerationService, port: RecordingPort
) -> None:
    await service.update_policy(GUILD, {"heat_messages": 2}, actor_id=99, reason="test")
    for _ in range(5):
        out = await service.handle_message(message("A passage.", author=None, source="relay"))
        assert out.slowmode is None
    assert port.named("thread") == []


async def test_policy_changes_are_validated_and_logged(
    service: ModerationService, port: RecordingPort
) -> None:
    import pytest

    from forumbot.services.moderation.errors import ModerationError

    with pytest.raises(ModerationError, match="half_life_hours must be positive"):
        await service.update_policy(GUILD, {"half_life_hours": 0}, actor_id=99, reason="x")
    policy = await service.update_policy(
        GUILD, {"half_life_hours": 24}, actor_id=99, reason="faster forgiveness"
    )
    assert policy.half_life_hours == 24 and (await service.policy(GUILD)).half_life_hours == 24
    ((entry, _summary),) = port.named("modlog")  # type: ignore[misc]
    assert entry.kind == "settings" and entry.reason == "faster forgiveness"


async def test_bot_article_starter_is_flagged_not_deleted(
    service: ModerationService, port: RecordingPort
) -> None:
    starter = message("you are an idiot", author=None, source="relay", message_id=THREAD)
    out = await service.handle_message(starter)
    assert out.kinds() == ["log"] and port.named("delete") == []
    [item] = await service.desk.queue(GUILD)
    assert item.kind == "report" and "Article text flagged" in (item.reason or "")


async def test_concurrent_offences_still_escalate(
    service: ModerationService, port: RecordingPort
) -> None:
    import asyncio

    texts = ["you are an idiot", "you moron", "ur a total idiot"]
    outs = await asyncio.gather(*(service.handle_message(message(t)) for t in texts))
    assert sorted(len(o.entries) for o in outs) == [1, 1, 2]  # the third also timed out
    assert len(port.named("timeout")) == 1


async def test_two_processes_screening_one_message_act_once(
    service: ModerationService, port: RecordingPort, db_url: str, clock: Clock, test_rules
) -> None:
    """A second process on the same shard (or a replayed event) gets the same message: one
    case, one queue item, one mod-log post, one DM, whichever process wins the claim."""
    import asyncio

    from forumbot.services.moderation.rules import RuleBook
    from forumbot.storage.db import make_engine, make_sessionmaker
    from forumbot.storage.models.moderation import ModAction, ModQueueItem

    engine = make_engine(db_url)
    try:
        maker = make_sessionmaker(engine)
        other_port = RecordingPort()
        other = ModerationService(
            maker, other_port, rules=RuleBook(maker, base=lambda: test_rules), clock=clock,
            holder="other",
        )  # fmt: skip
        copy = message("you are an idiot")
        outs = await asyncio.gather(
            service.handle_message(copy), other.handle_message(copy), service.handle_message(copy)
        )
        assert sorted(o.duplicate for o in outs) == [False, True, True]
        async with maker() as session:
            holds = (await session.scalars(select(ModAction).where(ModAction.kind == "hold"))).all()
            items = (await session.scalars(select(ModQueueItem))).all()
        assert len(holds) == 1 and len(items) == 1
        both = port.calls + other_port.calls
        assert len([c for c in both if c[0] == "notify"]) == 1
        assert len(port.named("delete") + other_port.named("delete")) == 1
        modlog = port.named("modlog") + other_port.named("modlog")
        assert len([m for m in modlog if m[0].kind == "hold"]) == 1  # type: ignore[index]
    finally:
        await engine.dispose()
