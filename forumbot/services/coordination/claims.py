"""Claims: the database decides which process acts on a message revision or an interaction.

A claim is an INSERT that does nothing on conflict; the one caller whose insert took effect
acts, every other caller (a second process on the same shard, a replayed gateway event, a
backfill after a re-identify) sees False and leaves it alone. Interaction claims made at
the same moment (a burst) share one INSERT: the ids it returns are the ones this process won.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.coordination.batch import RoundTrips
from forumbot.storage.models.coordination import InteractionClaim, MessageClaim
from forumbot.storage.upsert import insert_ignore, insert_ignore_many


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
        self._interactions: RoundTrips[int, bool] = RoundTrips(self._claim_interactions)

    @property
    def round_trips(self) -> int:
        return self._interactions.trips

    async def interaction(self, interaction_id: int) -> bool:
        """True for the one process that may answer this interaction."""
        return await self._interactions(interaction_id)

    async def _claim_interactions(self, ids: list[int]) -> list[bool]:
        async with self._sessionmaker() as session, session.begin():
            won = await insert_ignore_many(
                session,
                InteractionClaim.__table__,  # type: ignore[arg-type]
                [{"interaction_id": i, "holder": self.holder} for i in dict.fromkeys(ids)],
                ["interaction_id"],
            )
        # An id delivered twice in one batch is answered by its first delivery only.
        results = []
        for i in ids:
            results.append(i in won)
            won.discard(i)
        return results
