"""Guild settings (cached, invalidated on write), bot state and saved searches, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.bot.state import BotStateStore, SearchSessionStore
from forumbot.services.errors import NotConfigured
from forumbot.services.guilds import GuildSettingsService

BIG = 1573835145805430793  # snowflakes need 64 bits


async def test_guild_settings_are_cached_and_invalidated_on_write(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    guilds = GuildSettingsService(sessionmaker)
    assert await guilds.get(BIG) is None
    with pytest.raises(NotConfigured):
        await guilds.require(BIG)
    await guilds.configure(BIG, forum_channel_id=BIG + 1, modlog_channel_id=2, moderator_role_id=3)
    config = await guilds.require(BIG)
    assert config.forum_channel_id == BIG + 1
    await guilds.configure(BIG, forum_channel_id=9, modlog_channel_id=2, moderator_role_id=3)
    assert (await guilds.require(BIG)).forum_channel_id == 9
    # Another instance (a restart) reads the row.
    assert (await GuildSettingsService(sessionmaker).require(BIG)).forum_channel_id == 9


async def test_bot_state_and_saved_searches_round_trip(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    state = BotStateStore(sessionmaker)
    assert await state.get("k") is None
    await state.put("k", "v1")
    await state.put("k", "v2")
    assert await state.get("k") == "v2"
    searches = SearchSessionStore(sessionmaker)
    saved = await searches.save("x" * 500, "Ada", 3, guild_id=BIG, user_id=7)
    again = await searches.get(saved.id, guild_id=BIG, user_id=8)  # anyone in the guild
    assert again is not None and again.author == "Ada" and len(again.query) == 300
    assert await searches.get(saved.id + 1000, guild_id=BIG, user_id=7) is None


async def test_a_saved_search_pages_only_where_it_was_made(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    searches = SearchSessionStore(sessionmaker)
    in_guild = await searches.save("quince " * 20, "Ada", None, guild_id=BIG, user_id=7)
    # Its paging button pressed in another guild, or in a DM: nothing, not even the query.
    assert await searches.get(in_guild.id, guild_id=BIG + 1, user_id=7) is None
    assert await searches.get(in_guild.id, guild_id=None, user_id=7) is None
    in_dm = await searches.save("quince " * 20, None, None, guild_id=None, user_id=7)
    assert await searches.get(in_dm.id, guild_id=None, user_id=7) is not None
    assert await searches.get(in_dm.id, guild_id=None, user_id=8) is None
    assert await searches.get(in_dm.id, guild_id=BIG, user_id=7) is None
