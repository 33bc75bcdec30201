"""Screening that survives the database going away: retry with backoff, tell the guild's
moderators once per outage (and again when it is over), lose nothing the process holds.

Retrying is safe because a message revision is claimed in the transaction that writes its
ledger rows: a retry after a commit whose answer was lost finds the claim and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from forumbot.services.moderation.pipeline import Outcome
from forumbot.services.moderation.port import ModerationPort
from forumbot.services.moderation.types import MessageCopy
from forumbot.storage.db import innermost_cause

log = logging.getLogger(__name__)

# Errors that say "the database is not answering", not "this message is bad". PoolTimeout: every
# pooled connection is stuck waiting (e.g. on a SQLite write lock held by another process).
TRANSIENT: tuple[type[BaseException], ...] = (DBAPIError, OSError, TimeoutError, PoolTimeout)
# Backoff between attempts (seconds), the last repeated until `give_up_after` has passed.
BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0)
DEFAULT_GIVE_UP_AFTER = 15 * 60.0


class DurableScreening:
    def __init__(
        self,
        handle: Callable[[MessageCopy], Awaitable[Outcome]],
        port: ModerationPort,
        *,
        give_up_after: float = DEFAULT_GIVE_UP_AFTER,
    ) -> None:
        self._handle = handle
        self._port = port
        self.give_up_after = give_up_after
        # guild -> comments waiting for the database in this outage (for the all-clear).
        self.waiting: dict[int, int] = {}
        self.retried = 0

    async def screen(self, copy: MessageCopy) -> Outcome | None:
        """Screen `copy`; on a database outage retry until it answers (or give up, logged)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempt = 0
        while True:
            try:
                outcome = await self._handle(copy)
            except TRANSIENT as exc:
                if attempt == 0:
                    await self._outage(copy, exc)
                if loop.time() - started > self.give_up_after:
                    log.error(
                        "moderation gave up on a comment: the database stayed away",
                        extra={"message_id": copy.message_id, "guild_id": copy.guild_id},
                    )
                    return None
                await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1
                self.retried += 1
                continue
            if attempt:
                await self._recovered(copy.guild_id)
            return outcome

    async def _outage(self, copy: MessageCopy, exc: BaseException) -> None:
        first = copy.guild_id not in self.waiting
        self.waiting[copy.guild_id] = self.waiting.get(copy.guild_id, 0) + 1
        if not first:
            return
        # The driver's own error names the cause ("CannotConnectNowError"), not the wrapper.
        cause = type(innermost_cause(exc)).__name__
        log.warning(
            "database unavailable; moderation retries",
            extra={"guild_id": copy.guild_id, "error": cause},
        )
        await self._port.post_modlog_text(
            copy.guild_id,
            f"Moderation is paused: the database is not answering ({cause}). "
            "New comments are kept and screened as soon as it is back.",
        )

    async def _recovered(self, guild_id: int) -> None:
        count = self.waiting.pop(guild_id, None)
        if count is None:
            return
        log.info("database back; moderation resumed", extra={"guild_id": guild_id})
        await self._port.post_modlog_text(
            guild_id,
            f"The database is back: moderation resumed; {count} comment(s) held up by the "
            "outage were screened late.",
        )
