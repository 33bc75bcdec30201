"""Two guilds on one database: nothing of one guild's rules, ledger, cases, queue, appeals or
settings is visible or actionable from the other (SQLite and PostgreSQL via db_url)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.errors import NotFound
from forumbot.services.guilds import GuildSettingsService
from forumbot.services.moderation import ModerationService
from forumbot.services.moderation.ladder import Level
from forumbot.services.moderation.types import MessageCopy
from tests.unit.moderation.conftest import ALICE, GUILD, MOD_A, MOD_B, message

OTHER = GUILD + 1


def elsewhere(text: str) -> MessageCopy:
    return dataclasses.replace(message(text), guild_id=OTHER)


async def test_cases_ledger_and_appeals_stay_in_their_guild(service: ModerationService) -> None:
    warn = await service.members.warn(GUILD, ALICE, "alice", actor_id=MOD_A, reason="tone")
    assert (await service.members.history(GUILD, ALICE)).points > 0
    assert (await service.members.history(OTHER, ALICE)).points == 0
    assert not (await service.members.history(OTHER, ALICE)).entries
    with pytest.raises(NotFound):
        await service.members.case(OTHER, warn.id)
    with pytest.raises(NotFound):
        await service.members.pardon(OTHER, warn.id, actor_id=MOD_B, reason="not yours")
    with pytest.raises(NotFound):
        await service.members.escalate(OTHER, warn.id, actor_id=MOD_B, reason="not yours")
    assert await service.desk.appealable_cases(OTHER, ALICE) == []
    with pytest.raises(NotFound):
        await service.desk.appeal(OTHER, warn.id, member_id=ALICE, text="wrong server")
    appeal = await service.desk.appeal(GUILD, warn.id, member_id=ALICE, text="I was quoting")
    assert await service.desk.queue(OTHER) == []
    with pytest.raises(NotFound):
        await service.desk.decide(
            OTHER, appeal.id, moderator_id=MOD_B, decision="approve", reason="not yours"
        )
    # The refused attempts changed nothing: the case stands, its appeal is still open.
    assert (await service.members.case(GUILD, warn.id)).reason == "tone"
    assert [item.id for item in await service.desk.queue(GUILD)] == [appeal.id]


async def test_the_review_queue_is_per_guild(service: ModerationService) -> None:
    held = await service.handle_message(message("you are an idiot"))
    assert held.level == Level.HOLD and held.queue_item is not None
    item = held.queue_item
    assert await service.desk.queue(OTHER) == []
    with pytest.raises(NotFound):
        await service.desk.queue_item(OTHER, item.id)
    with pytest.raises(NotFound):
        await service.desk.claim(OTHER, item.id, moderator_id=MOD_B)
    with pytest.raises(NotFound):
        await service.desk.decide(
            OTHER, item.id, moderator_id=MOD_B, decision="approve", reason="not yours"
        )
    assert [i.status for i in await service.desk.queue(GUILD)] == ["open"]
    # The same words in the other guild make that guild's own item, counted there only.
    other = await service.handle_message(elsewhere("you are an idiot"))
    assert other.queue_item is not None and other.queue_item.guild_id == OTHER
    assert [i.id for i in await service.desk.queue(GUILD)] == [item.id]
    assert [i.id for i in await service.desk.queue(OTHER)] == [other.queue_item.id]


async def test_rules_and_settings_are_per_guild(
    service: ModerationService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await service.set_rule_mode(GUILD, "rudeness", "shadow", actor_id=MOD_A, reason="too strict")
    assert (await service.rules.rule(GUILD, "rudeness")).mode == "shadow"
    assert (await service.rules.rule(OTHER, "rudeness")).mode == "enforce"
    assert await service.rules.changes(OTHER) == []
    assert (await service.handle_message(message("shut up"))).level == Level.NONE
    nudged = await service.handle_message(elsewhere("shut up"))
    assert nudged.level == Level.NUDGE

    await service.update_policy(GUILD, {"warn_points": 7.0}, actor_id=MOD_A, reason="stricter")
    assert (await service.policy(GUILD)).warn_points == 7.0
    assert (await service.policy(OTHER)).warn_points == 2.0

    guilds = GuildSettingsService(sessionmaker)
    await guilds.configure(GUILD, forum_channel_id=1, modlog_channel_id=2, moderator_role_id=3)
    assert await guilds.get(OTHER) is None
    assert await GuildSettingsService(sessionmaker).get(OTHER) is None
