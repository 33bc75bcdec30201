"""Ledger append-only + pardons, review queue decisions, appeals by a different moderator."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.errors import NotAllowed
from forumbot.services.moderation.ledger import Ledger
from forumbot.services.moderation.port import RecordingPort
from forumbot.services.moderation.types import MessageCopy
from forumbot.storage.models.moderation import ModAction
from tests.unit.moderation.conftest import ALICE, BOB, GUILD, MOD_A, MOD_B, Clock, message


async def test_ledger_refuses_updates_and_deletes(service: ModerationService, sessionmaker) -> None:
    entry = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="tone")
    for statement in (
        update(ModAction).where(ModAction.id == entry.id).values(reason="rewritten"),
        delete(ModAction).where(ModAction.id == entry.id),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with sessionmaker() as session, session.begin():
                await session.execute(statement)
    assert (await service.members.case(GUILD, entry.id)).reason == "tone"


async def test_pardon_is_a_new_row_and_stops_points(
    service: ModerationService, port: RecordingPort
) -> None:
    warn = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="tone")
    assert (await service.members.history(GUILD, ALICE)).points == pytest.approx(2.0)
    pardon = await service.members.pardon(GUILD, warn.id, actor_id=MOD_B, reason="misread")
    assert (pardon.kind, pardon.refers_to_id, pardon.actor_id, pardon.reason) == (
        "pardon", warn.id, MOD_B, "misread",
    )  # fmt: skip
    record = await service.members.history(GUILD, ALICE)
    assert record.points == 0 and warn.id in record.pardoned
    assert [e.kind for e in record.entries] == ["warn", "pardon"]
    assert (await service.members.case(GUILD, warn.id)).reason == "tone"  # original intact
    with pytest.raises(NotAllowed, match="already pardoned"):
        await service.members.pardon(GUILD, warn.id, actor_id=MOD_B, reason="again")


async def test_pardoning_a_running_timeout_lifts_it(
    service: ModerationService, port: RecordingPort
) -> None:
    entry = await service.members.timeout(GUILD, BOB, "bob", actor_id=MOD_A, reason="flame war")
    assert entry.details["seconds"] == 3600
    await service.members.pardon(GUILD, entry.id, actor_id=MOD_A, reason="overreacted")
    assert [args[2] for args in port.named("timeout")][-1] is None  # type: ignore[index]


async def test_manual_timeout_is_capped_at_28_days(service: ModerationService) -> None:
    entry = await service.members.timeout(
        GUILD, BOB, "bob", actor_id=MOD_A, reason="x", minutes=60 * 24 * 90
    )
    assert entry.details["seconds"] == 28 * 86400


async def test_hold_then_approve_restores_exactly(
    service: ModerationService, port: RecordingPort
) -> None:
    copy = message("you are an idiot")
    out = await service.handle_message(copy)
    item = out.queue_item
    assert item is not None
    await service.desk.claim(GUILD, item.id, moderator_id=MOD_A)
    with pytest.raises(NotAllowed, match="claimed by"):
        await service.desk.decide(GUILD, item.id, moderator_id=MOD_B, decision="remove", reason="")
    decision = await service.desk.decide(
        GUILD, item.id, moderator_id=MOD_A, decision="approve", reason="banter between friends"
    )
    ((restored, _note),) = port.named("restore")  # type: ignore[misc]
    assert isinstance(restored, MessageCopy) and restored == copy  # content, author, times, urls
    assert decision.restored_message_id is not None
    assert [e.kind for e in decision.entries] == ["review", "pardon", "restore"]
    assert (await service.members.history(GUILD, ALICE)).points == 0
    assert await service.desk.queue(GUILD) == []
    with pytest.raises(NotAllowed, match="already decided"):
        await service.desk.decide(GUILD, item.id, moderator_id=MOD_A, decision="remove", reason="")


async def test_hold_then_remove_keeps_it_gone(
    service: ModerationService, port: RecordingPort
) -> None:
    out = await service.handle_message(message("you are an idiot"))
    assert out.queue_item is not None
    decision = await service.desk.decide(
        GUILD, out.queue_item.id, moderator_id=MOD_A, decision="remove", reason="clear attack"
    )
    assert [e.kind for e in decision.entries] == ["review", "remove"]
    assert port.named("restore") == []


async def test_report_flow(service: ModerationService, port: RecordingPort) -> None:
    reported = message("a borderline remark", author=BOB)
    with pytest.raises(NotAllowed, match="your own"):
        await service.desk.report(reported, reporter_id=BOB, reason="x")
    item = await service.desk.report(reported, reporter_id=ALICE, reason="feels like baiting")
    again = await service.desk.report(reported, reporter_id=ALICE, reason="double click")
    assert again.id == item.id
    decision = await service.desk.decide(
        GUILD, item.id, moderator_id=MOD_A, decision="remove", reason="baiting"
    )
    assert [e.kind for e in decision.entries] == ["review", "remove"]
    assert port.named("delete")[0][1] == reported.message_id  # type: ignore[index]
    assert (await service.members.history(GUILD, BOB)).points == pytest.approx(3.0)


async def test_appeal_must_be_decided_by_another_moderator(
    service: ModerationService, port: RecordingPort
) -> None:
    warn = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="tone")
    with pytest.raises(NotAllowed, match="not about you"):
        await service.desk.appeal(GUILD, warn.id, member_id=BOB, text="me?")
    appeal = await service.desk.appeal(GUILD, warn.id, member_id=ALICE, text="I was quoting")
    with pytest.raises(NotAllowed, match="waiting for a moderator"):
        await service.desk.appeal(GUILD, warn.id, member_id=ALICE, text="again")
    with pytest.raises(NotAllowed, match="another moderator must decide"):
        await service.desk.claim(GUILD, appeal.id, moderator_id=MOD_A)
    with pytest.raises(NotAllowed, match="another moderator must decide"):
        await service.desk.decide(
            GUILD, appeal.id, moderator_id=MOD_A, decision="approve", reason="fine"
        )
    decision = await service.desk.decide(
        GUILD, appeal.id, moderator_id=MOD_B, decision="approve", reason="quote, not insult"
    )
    assert [e.kind for e in decision.entries] == ["review", "pardon"]
    assert (await service.members.history(GUILD, ALICE)).points == 0
    told = port.named("notify")[-1]
    assert "was granted" in told.body  # type: ignore[attr-defined]


async def test_appeal_of_automatic_hold_any_moderator_restores(
    service: ModerationService, port: RecordingPort
) -> None:
    copy = message("ur a moron")
    out = await service.handle_message(copy)
    hold = out.entries[0]
    appeal = await service.desk.appeal(GUILD, hold.id, member_id=ALICE, text="context matters")
    decision = await service.desk.decide(
        GUILD, appeal.id, moderator_id=MOD_A, decision="approve", reason="ok"
    )
    assert [e.kind for e in decision.entries] == ["review", "pardon", "restore"]
    assert port.named("restore")[0][0] == copy  # type: ignore[index]
    assert await service.desk.queue(GUILD) == []  # the held item was closed with it


async def test_denied_appeal_keeps_the_action(service: ModerationService) -> None:
    warn = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="tone")
    appeal = await service.desk.appeal(GUILD, warn.id, member_id=ALICE, text="no")
    with pytest.raises(NotAllowed, match=r"granted or denied"):
        await service.desk.decide(
            GUILD, appeal.id, moderator_id=MOD_B, decision="timeout", reason=""
        )
    await service.desk.decide(
        GUILD, appeal.id, moderator_id=MOD_B, decision="remove", reason="stands"
    )
    assert (await service.members.history(GUILD, ALICE)).points == pytest.approx(2.0)


async def test_ledger_history_is_append_only_sequence(
    service: ModerationService, sessionmaker, clock: Clock
) -> None:
    await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="one")
    clock.advance(hours=72)
    await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="two")
    async with sessionmaker() as session:
        rows = await Ledger(session).history(GUILD, ALICE)
    assert [r.reason for r in rows] == ["one", "two"]
    assert (await service.members.history(GUILD, ALICE)).points == pytest.approx(1.0 + 2.0)


async def test_escalate_times_out_the_cases_member_with_growing_lengths(
    service: ModerationService, port: RecordingPort
) -> None:
    warn = await service.members.warn(GUILD, BOB, "bob", actor_id=MOD_A, reason="tone")
    first = await service.members.escalate(GUILD, warn.id, actor_id=MOD_A, reason="kept going")
    second = await service.members.escalate(GUILD, warn.id, actor_id=MOD_B, reason="still going")
    assert (first.kind, first.member_id, first.refers_to_id) == ("timeout", BOB, warn.id)
    assert (first.details["seconds"], second.details["seconds"]) == (3600, 4 * 3600)
    pardon = await service.members.pardon(GUILD, first.id, actor_id=MOD_A, reason="x")
    with pytest.raises(NotAllowed, match="only actions on members"):
        await service.members.escalate(GUILD, pardon.id, actor_id=MOD_A, reason="x")
