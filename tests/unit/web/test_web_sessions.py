"""Dashboard sessions live in the database: a cookie names a row, and without the row (signed
out, expired, never made) the cookie is no session, however good its signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.storage.models.web import WebSession
from forumbot.web.sessions import SessionStore, Signer


async def test_a_session_is_served_until_revoked_in_any_store(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    signer = Signer("k" * 40)
    here, there = SessionStore(sessionmaker, signer), SessionStore(sessionmaker, signer)
    session, cookie = await here.create(7, "mod", [(1, "Guild")], hours=1)
    loaded = await there.load(cookie)
    assert loaded is not None and (loaded.user_id, loaded.guilds) == (7, ((1, "Guild"),))
    assert loaded.sid == session.sid
    # The row holds a digest of the id, never the id the cookie carries.
    async with sessionmaker() as db:
        stored = (await db.scalars(select(WebSession.sid_hash))).all()
    assert stored and session.sid not in stored and session.sid not in cookie.split(".")[1]
    await there.revoke(loaded)
    assert await here.load(cookie) is None


async def test_expired_forged_and_foreign_cookies_are_no_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    store = SessionStore(sessionmaker, Signer("k" * 40))
    _session, cookie = await store.create(7, "mod", [], hours=1)
    assert await store.load(cookie[:-3] + "abc") is None
    assert await SessionStore(sessionmaker, Signer("other" * 8)).load(cookie) is None
    assert await store.load(None) is None
    # The database's expiry counts, whatever the cookie says.
    async with sessionmaker() as db, db.begin():
        await db.execute(
            update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await store.load(cookie) is None
    # The next sign-in sweeps expired rows away.
    await store.create(8, "other", [], hours=1)
    async with sessionmaker() as db:
        users = (await db.scalars(select(WebSession.user_id))).all()
    assert users == [8]
