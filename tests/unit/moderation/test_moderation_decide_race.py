"""Two moderators decide the same queue item at the same moment (the dashboard and a button in
Discord, or two processes): exactly one decision takes effect, the other is told who decided."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.domain.civility.rules import RuleSet
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.casebook import Casebook, CaseFilter
from forumbot.services.moderation.errors import NotAllowed
from forumbot.services.moderation.port import RecordingPort
from forumbot.services.moderation.queue import ReviewQueue
from forumbot.services.moderation.rules import RuleBook
from forumbot.services.moderation.types import QueueItem
from tests.unit.moderation.conftest import ALICE, GUILD, MOD_A, MOD_B, Clock, message


def _desk(
    sessionmaker: async_sessionmaker[AsyncSession], rules: RuleSet, clock: Clock
) -> tuple[ModerationService, RecordingPort]:
    port = RecordingPort()
    return (
        ModerationService(
            sessionmaker, port, rules=RuleBook(sessionmaker, base=lambda: rules), clock=clock
        ),
        port,
    )


@pytest.mark.parametrize("first", ["approve", "remove"])
async def test_concurrent_decisions_one_wins(
    sessionmaker: async_sessionmaker[AsyncSession],
    test_rules: RuleSet,
    clock: Clock,
    first: str,
) -> None:
    # Two services on one database: two processes (a shard serving the dashboard, another
    # answering the button).
    web, web_port = _desk(sessionmaker, test_rules, clock)
    bot, bot_port = _desk(sessionmaker, test_rules, clock)
    out = await web.handle_message(message("you are an idiot", author=ALICE))
    assert out.queue_item is not None
    item_id = out.queue_item.id
    second = "remove" if first == "approve" else "approve"
    results = await asyncio.gather(
        web.desk.decide(GUILD, item_id, moderator_id=MOD_A, decision=first, reason="web"),
        bot.desk.decide(GUILD, item_id, moderator_id=MOD_B, decision=second, reason="button"),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], NotAllowed), repr(lost[0])
    winner = won[0].item
    assert f"already decided ({winner.decision}) by <@{winner.decided_by}>" in str(lost[0])
    # Only the winner's side effects happened: one restore or one confirming removal.
    restores = web_port.named("restore") + bot_port.named("restore")
    assert len(restores) == (1 if winner.decision == "approve" else 0)
    reviews = await Casebook(sessionmaker).cases(GUILD, CaseFilter(kind="review"))
    assert [(r.actor_id, r.details["decision"]) for r in reviews] == [
        (winner.decided_by, winner.decision)
    ]


async def test_concurrent_claims_one_wins(
    sessionmaker: async_sessionmaker[AsyncSession],
    test_rules: RuleSet,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    web, _ = _desk(sessionmaker, test_rules, clock)
    bot, _ = _desk(sessionmaker, test_rules, clock)
    out = await web.handle_message(message("you are an idiot", author=ALICE))
    assert out.queue_item is not None
    item_id = out.queue_item.id
    # Both claims read the open item before either writes: the race at its narrowest.
    arrived: list[int] = []
    both = asyncio.Event()
    checked = ReviewQueue.check_decider

    async def meet(self: ReviewQueue, item: QueueItem, moderator_id: int) -> None:
        await checked(self, item, moderator_id)
        arrived.append(moderator_id)
        if len(arrived) == 2:
            both.set()
        await asyncio.wait_for(both.wait(), 5)

    monkeypatch.setattr(ReviewQueue, "check_decider", meet)
    results = await asyncio.gather(
        web.desk.claim(GUILD, item_id, moderator_id=MOD_A),
        bot.desk.claim(GUILD, item_id, moderator_id=MOD_B),
        return_exceptions=True,
    )
    assert sorted(arrived) == [MOD_A, MOD_B]
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and isinstance(lost[0], NotAllowed), results
    assert f"is claimed by <@{won[0].claimed_by}>" in str(lost[0])
    item = await web.desk.queue_item(GUILD, item_id)
    assert item.claimed_by == won[0].claimed_by
