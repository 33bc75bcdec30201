"""One number per thing people act on, on SQLite and PostgreSQL: cases count only actions on
members, reports and appeals count on their own, and a granted appeal undoes the whole chain
about its comment."""

from __future__ import annotations

import asyncio

import pytest

from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.errors import NotAllowed, NotFound
from forumbot.services.moderation.numbers import parse_ref
from forumbot.services.moderation.port import Notice, RecordingPort
from tests.unit.moderation.conftest import ALICE, BOB, GUILD, MOD_A, MOD_B, message


async def test_cases_count_only_actions_on_members(
    service: ModerationService, port: RecordingPort
) -> None:
    warn = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="tone")
    # A pardon, a rule change and a thread lock are not cases: they take no number.
    await service.members.pardon(GUILD, warn.id, actor_id=MOD_B, reason="misread")
    await service.set_rule_mode(GUILD, "rudeness", "shadow", actor_id=MOD_A, reason="trial")
    await service.threads.apply(GUILD, 2002, "lock", actor_id=MOD_A, reason="cooling off")
    held = await service.handle_message(message("you are an idiot", author=BOB))
    timeout = await service.members.timeout(GUILD, BOB, "bob", actor_id=MOD_A, reason="x")
    assert [warn.case_number, held.entries[0].case_number, timeout.case_number] == [1, 2, 3]
    item = held.queue_item
    assert item is not None and (item.number, item.label) == (2, "Case #2 (held)")
    summaries = [summary for _, summary in port.named("modlog")]  # type: ignore[misc]
    assert summaries[0].startswith("**Case #1** · warn")
    assert summaries[1].startswith("**Pardon of case #1**")
    assert (await service.members.case_by_number(GUILD, 3)).id == timeout.id
    with pytest.raises(NotFound, match="no case #4"):
        await service.members.case_by_number(GUILD, 4)
    # Another guild counts from 1.
    other = await service.members.warn(GUILD + 1, ALICE, "alice", actor_id=MOD_A, reason="x")
    assert other.case_number == 1


async def test_reports_and_appeals_have_their_own_numbers(service: ModerationService) -> None:
    first = await service.desk.report(message("meh", author=ALICE), reporter_id=BOB, reason="a")
    second = await service.desk.report(message("hm", author=ALICE), reporter_id=BOB, reason="b")
    assert (first.label, second.label) == ("Report #1", "Report #2")
    warn = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="tone")
    appeal = await service.desk.appeal(GUILD, warn.id, member_id=ALICE, text="context")
    assert appeal.label == "Appeal #1 on case #1"
    assert (await service.desk.queue_item_by_ref(GUILD, "appeal 1")).id == appeal.id
    assert (await service.desk.queue_item_by_ref(GUILD, "Report #2")).id == second.id
    with pytest.raises(NotAllowed, match="Several open items are numbered 1"):
        await service.desk.queue_item_by_ref(GUILD, "1")
    with pytest.raises(NotAllowed, match="write it like"):
        parse_ref("the rude one")


async def test_numbers_never_repeat_under_concurrent_writers(service: ModerationService) -> None:
    warns = await asyncio.gather(
        *(
            service.members.warn(GUILD, ALICE + n, f"m{n}", actor_id=MOD_A, reason="x")
            for n in range(12)
        )
    )
    assert sorted(w.case_number for w in warns) == list(range(1, 13))


async def test_granted_appeal_undoes_the_whole_chain(
    service: ModerationService, port: RecordingPort
) -> None:
    copy = message("you are an idiot", author=BOB)
    held = await service.handle_message(copy)
    hold = held.entries[0]
    assert held.queue_item is not None
    removed = await service.desk.decide(
        GUILD, held.queue_item.id, moderator_id=MOD_A, decision="remove", reason="insult"
    )
    removal = next(e for e in removed.entries if e.kind == "remove")
    assert removal.case_number == hold.case_number + 1  # type: ignore[operator]
    # One entry per comment in the appeal list: the latest step.
    offered = await service.desk.appealable_cases(GUILD, BOB)
    assert [c.id for c in offered] == [removal.id]
    assert (await service.members.history(GUILD, BOB)).points > 0
    appeal = await service.desk.appeal(GUILD, removal.id, member_id=BOB, text="it was a quote")
    with pytest.raises(NotAllowed, match="appeal about this comment is waiting"):
        await service.desk.appeal_target(GUILD, member_id=BOB, number=hold.case_number)
    granted = await service.desk.decide(
        GUILD, appeal.id, moderator_id=MOD_B, decision="grant", reason="context"
    )
    record = await service.members.history(GUILD, BOB)
    assert record.points == 0 and {hold.id, removal.id} <= record.pardoned
    assert granted.restored_message_id is not None
    assert await service.desk.appealable_cases(GUILD, BOB) == []
    notices = [n for n in port.named("notify") if isinstance(n, Notice)]
    assert "appeal was granted" in notices[-1].body and "#1, #2" in notices[-1].body
    assert "approve" not in notices[-1].body


async def test_appeal_is_checked_before_the_form(service: ModerationService) -> None:
    warn = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="tone")
    with pytest.raises(NotFound, match="no case #9"):
        await service.desk.appeal_target(GUILD, member_id=ALICE, number=9)
    with pytest.raises(NotAllowed, match="not about you"):
        await service.desk.appeal_target(GUILD, member_id=BOB, number=warn.case_number)
    target = await service.desk.appeal_target(GUILD, member_id=ALICE, number=warn.case_number)
    assert target.id == warn.id
