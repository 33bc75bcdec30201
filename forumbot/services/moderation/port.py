"""The port through which moderation reaches Discord. The cog implements it with discord.py;
unit tests use a recording fake. Every method reports whether it worked instead of raising, so
one failed side effect (a closed DM, a missing permission) never loses the ledger entry.

The one exception is `PortUnavailable`, raised only by a port built for the outbox (see
outbox.py): Discord or the network did not answer, and the same call may work later. Posts take
a `nonce`, which Discord uses to drop a repeat of the same message sent within minutes, so an
outbox row redone after a crash between the call and its bookkeeping is not posted twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from forumbot.services.moderation.types import LedgerEntry, MessageCopy


class PortUnavailable(Exception):
    """Discord or the network failed in a way worth retrying (5xx, a rate limit, a timeout)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """What a member is told: what happened, which guideline, and how to appeal."""

    guild_id: int
    member_id: int
    case_id: int
    title: str
    body: str
    appealable: bool = True
    # The article thread the case is about: the DM names and links it.
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class ThreadChange:
    """A change to an article thread (None leaves a setting as it is)."""

    locked: bool | None = None
    archived: bool | None = None
    slowmode_seconds: int | None = None


class ModerationPort(Protocol):
    async def delete_message(self, channel_id: int, message_id: int, reason: str) -> bool: ...

    async def restore_message(
        self, copy: MessageCopy, note: str, *, nonce: str | None = None
    ) -> int | None:
        """Re-post a held message as it was, attributed to its author; the new message id."""
        ...

    async def notify_member(self, notice: Notice, *, nonce: str | None = None) -> bool:
        """DM the member; False when DMs are closed or the member is gone."""
        ...

    async def timeout_member(
        self, guild_id: int, member_id: int, until: datetime | None, reason: str
    ) -> bool: ...

    async def post_modlog(
        self, guild_id: int, entry: LedgerEntry, summary: str, *, nonce: str | None = None
    ) -> None: ...

    async def post_modlog_text(self, guild_id: int, text: str, *, nonce: str | None = None) -> None:
        """A plain line in the mod-log, for news that is no case (the database is away)."""
        ...

    async def change_thread(self, thread_id: int, change: ThreadChange, reason: str) -> bool: ...

    async def pin_message(self, channel_id: int, message_id: int, reason: str) -> bool: ...

    async def post_in_thread(self, thread_id: int, text: str, *, nonce: str | None = None) -> bool:
        """Tell the thread's readers what changed (a lock, slow mode); mentions disabled."""
        ...


@dataclass
class RecordingPort:
    """A port that records every call and succeeds (or not, per flag). For tests and dry runs."""

    dms_open: bool = True
    calls: list[tuple[str, object]] = field(default_factory=list)
    next_message_id: int = 9_000_000
    # call name -> how many more times it raises PortUnavailable (Discord answering 5xx).
    unavailable: dict[str, int] = field(default_factory=dict)
    # Nonces of the posts made with one (a repeat of one is what Discord would drop).
    nonces: list[str] = field(default_factory=list)

    def _maybe_unavailable(self, name: str, nonce: str | None = None) -> None:
        left = self.unavailable.get(name, 0)
        if left > 0:
            self.unavailable[name] = left - 1
            raise PortUnavailable(f"{name}: 503 Service Unavailable")
        if nonce is not None:
            self.nonces.append(nonce)

    async def delete_message(self, channel_id: int, message_id: int, reason: str) -> bool:
        self._maybe_unavailable("delete")
        self.calls.append(("delete", (channel_id, message_id, reason)))
        return True

    async def restore_message(
        self, copy: MessageCopy, note: str, *, nonce: str | None = None
    ) -> int | None:
        self._maybe_unavailable("restore", nonce)
        self.calls.append(("restore", (copy, note)))
        self.next_message_id += 1
        return self.next_message_id

    async def notify_member(self, notice: Notice, *, nonce: str | None = None) -> bool:
        self._maybe_unavailable("notify", nonce)
        self.calls.append(("notify", notice))
        return self.dms_open

    async def timeout_member(
        self, guild_id: int, member_id: int, until: datetime | None, reason: str
    ) -> bool:
        self._maybe_unavailable("timeout")
        self.calls.append(("timeout", (guild_id, member_id, until, reason)))
        return True

    async def post_modlog(
        self, guild_id: int, entry: LedgerEntry, summary: str, *, nonce: str | None = None
    ) -> None:
        self._maybe_unavailable("modlog", nonce)
        self.calls.append(("modlog", (entry, summary)))

    async def post_modlog_text(self, guild_id: int, text: str, *, nonce: str | None = None) -> None:
        self._maybe_unavailable("modlog_text", nonce)
        self.calls.append(("modlog_text", (guild_id, text)))

    async def change_thread(self, thread_id: int, change: ThreadChange, reason: str) -> bool:
        self._maybe_unavailable("thread")
        self.calls.append(("thread", (thread_id, change, reason)))
        return True

    async def pin_message(self, channel_id: int, message_id: int, reason: str) -> bool:
        self.calls.append(("pin", (channel_id, message_id, reason)))
        return True

    async def post_in_thread(self, thread_id: int, text: str, *, nonce: str | None = None) -> bool:
        self._maybe_unavailable("announce", nonce)
        self.calls.append(("announce", (thread_id, text)))
        return True

    def named(self, name: str) -> list[object]:
        return [args for call, args in self.calls if call == name]
