"""Rate limits kept in the database (table web_rate_limits), so every process serving the
dashboard counts the same hits: fixed windows, one row per key and window."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.storage.models.web import WebRateLimit


class RateLimiter:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def allow(self, key: str, limit: int, per_seconds: int) -> bool:
        """Count a hit on `key`; False once more than `limit` fell in this window."""
        now = time.time()
        window = int(now // per_seconds)
        row_key = f"{key}:{window}"[:200]
        expires = datetime.fromtimestamp((window + 1) * per_seconds, UTC)
        for _ in range(2):  # a racing insert of the same key: count on the row it made
            try:
                async with self._sessionmaker() as session, session.begin():
                    result = await session.execute(
                        update(WebRateLimit)
                        .where(WebRateLimit.key == row_key)
                        .values(hits=WebRateLimit.hits + 1)
                        .returning(WebRateLimit.hits)
                    )
                    hits = result.scalar_one_or_none()
                    if hits is None:
                        await session.execute(
                            delete(WebRateLimit).where(
                                WebRateLimit.expires_at < datetime.fromtimestamp(now, UTC)
                            )
                        )
                        session.add(WebRateLimit(key=row_key, hits=1, expires_at=expires))
                        hits = 1
                return hits <= limit
            except IntegrityError:
                continue
        return False
