"""Claims: the database decides which process acts on a message revision or an interaction.

A claim is an INSERT that does nothing on conflict; the one caller whose insert took effect
acts, every other caller (a second process on the same shard, a replayed gateway event, a
backfill after a re-identify) sees False and leaves it alone.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.storage.models.coordination import InteractionClaim, MessageClaim
from forumbot.storage.upsert import insert_ignore


def revision_key(source: str, content: str) -> str:
    """What distinguishes one screening of a message from another: where the text came from
    and the text itself (an edit back to earlier text is the same revision, screened once)."""
    digest = hashlib.sha1(content.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{source[:16]}:{digest}"


async def claim_message(
    session: AsyncSession, *, guild_id: int, message_id: int, revision: str, holder: str
) -> bool:
    """Inside the caller's transaction (the one that writes the ledger rows)."""
    return await insert_ignore(
        session,
        MessageClaim.__table__,  # type: ignore[arg-type]
        {"guild_id": guild_id, "message_id": message_id, "revision": revision, "holder": holder},
        ["message_id", "revision"],
    )


class Claims:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], holder: str) -> None:
        self._sessionmaker = sessionmaker
        self.holder = holder

    async def interaction(self, interaction_id: int) -> bool:
        """True for the one process that may answer this interaction."""
        async with self._sessionmaker() as session, session.begin():
            return await insert_ignore(
                session,
                InteractionClaim.__table__,  # type: ignore[arg-type]
                {"interaction_id": interaction_id, "holder": self.holder},
                ["interaction_id"],
            )
