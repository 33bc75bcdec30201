"""The moderation outbox: what an action still has to do on Discord, written in the transaction
that records the action, then done exactly once. Automatic actions (pipeline.py) and moderators'
own (members.py, decisions.py, threads.py, settings changes) both write here.

Without it the side effects ran after the commit: a crash between the commit and the calls lost
them (a held comment left standing, a member never told), and a retry could do them twice. Now:

- the rows (delete, timeout, mod-log post, DM, thread change, announcement) commit with the
  case; each has a key unique per action and effect, so writing them twice writes them once;
- the process that committed them does them at once, in order, each after claiming its row
  (a conditional UPDATE: one process wins), and marks it done in the transaction that records
  what follows from it (the DM's outcome in the ledger, the "DMs closed" note to write next);
- what it could not finish (it died; Discord or the database failed) is left with a later
  `next_at` and done by the process holding the scheduler lease (`drain`), with backoff;
- a row redone after a crash between Discord's answer and the bookkeeping sends the same nonce,
  which Discord uses to drop the repeat; a delete, a timeout or a thread setting is the same
  when done twice;
- after `MAX_ATTEMPTS`, or when Discord refuses for good (no permission), the row is marked
  failed and moderators get a line in the mod-log saying which action of which case failed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.services.moderation.ledger import Ledger
from forumbot.services.moderation.notices import modlog_summary
from forumbot.services.moderation.port import ModerationPort, Notice, PortUnavailable, ThreadChange
from forumbot.services.moderation.types import LedgerEntry, MessageCopy, utcnow
from forumbot.storage.models.outbox import ModOutbox

log = logging.getLogger(__name__)

# Seconds before the next attempt after the n-th failed one; about 9 minutes in all.
BACKOFF = (2.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed row is the claimer's this long; a claimer that died leaves it to the drain after.
CLAIM_FOR = timedelta(seconds=30)
# Rows done longer ago than this are pruned by the drain (the ledger keeps the record).
KEEP_DONE = timedelta(days=14)
# Failures of the database itself while claiming or finishing: the row waits for the drain.
DB_FAILURES: tuple[type[Exception], ...] = (DBAPIError, OSError, TimeoutError)
RETRYABLE: tuple[type[Exception], ...] = (PortUnavailable, *DB_FAILURES)

WHAT = {
    "delete": "delete the comment",
    "timeout": "time the member out",
    "modlog": "post it in the mod-log",
    "dm": "DM the member",
    "thread": "change the thread",
    "announce": "announce it in the thread",
    "modlog_text": "post a note in the mod-log",
    "restore": "restore the comment",
    "pin": "pin the message",
}


def _stored_payload(effect: Effect) -> dict[str, Any]:
    if not effect.then:
        return effect.payload
    return {**effect.payload, "then": [e.to_json() for e in effect.then]}


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Effect:
    """One side effect to write: `key` is unique per action and effect. `entry_id`, when set,
    is the ledger row it belongs to (else the one `Outbox.write` is given): a DM's outcome is
    recorded against it. `then` are effects written only once this one is done (a moderator's
    timeout is announced only when Discord accepted it)."""

    kind: str
    key: str
    payload: dict[str, Any]
    entry_id: int | None = None
    then: tuple[Effect, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "payload": self.payload,
            "entry_id": self.entry_id,
            "then": [e.to_json() for e in self.then],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Effect:
        return cls(
            data["kind"],
            data["key"],
            data["payload"],
            data.get("entry_id"),
            tuple(cls.from_json(e) for e in data.get("then", ())),
        )


def delete_effect(entry: LedgerEntry, channel_id: int, message_id: int) -> Effect:
    reason = f"{entry.label}: {entry.kind} ({entry.rule})"
    return Effect(
        "delete",
        f"case:{entry.id}:delete",
        {
            "channel_id": channel_id,
            "message_id": message_id,
            "reason": reason,
            "label": entry.label,
        },
    )


def timeout_effect(entry: LedgerEntry) -> Effect:
    assert entry.member_id is not None
    until = entry.expires_at.isoformat() if entry.expires_at else None
    return Effect(
        "timeout",
        f"case:{entry.id}:timeout",
        {
            "member_id": entry.member_id,
            "until": until,
            "reason": f"{entry.label}: {entry.guideline or entry.reason or 'timeout'}"[:512],
            "label": entry.label,
        },
    )


def modlog_effect(entry: LedgerEntry, summary: str) -> Effect:
    return Effect(
        "modlog",
        f"case:{entry.id}:modlog",
        {"entry_id": entry.id, "summary": summary, "label": entry.label},
    )


def dm_effect(entry: LedgerEntry, notice: Notice) -> Effect:
    return Effect(
        "dm",
        f"case:{entry.id}:dm:{notice.member_id}",
        {
            "notice": {
                "guild_id": notice.guild_id,
                "member_id": notice.member_id,
                "case_id": notice.case_id,
                "title": notice.title,
                "body": notice.body,
                "appealable": notice.appealable,
                "thread_id": notice.thread_id,
            },
            "label": entry.label,
        },
    )


def thread_effect(
    entry: LedgerEntry, thread_id: int, change: ThreadChange, reason: str, announce: str | None
) -> Effect:
    """A thread change; on success, `announce` (if any) is said in the thread."""
    return Effect(
        "thread",
        f"case:{entry.id}:thread",
        {
            "thread_id": thread_id,
            "change": {
                "locked": change.locked,
                "archived": change.archived,
                "slowmode_seconds": change.slowmode_seconds,
            },
            "reason": reason,
            "announce": announce,
            "label": entry.label,
        },
    )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A row as the process doing it holds it."""

    id: int
    guild_id: int
    kind: str
    key: str
    entry_id: int | None
    payload: dict[str, Any]
    attempts: int


class Outbox:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        port: ModerationPort,
        *,
        holder: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.port = port
        self.holder = holder
        self._clock = clock
        self.retried = 0
        self.failed = 0

    # -- writing, in the caller's transaction -----------------------------------------------------
    async def write(
        self,
        session: AsyncSession,
        guild_id: int,
        effects: Iterable[Effect],
        *,
        entry_id: int | None = None,
    ) -> list[OutboxRow]:
        """Write `effects` in the caller's transaction (the one recording the action), claimed
        by this process, which does them right after the commit; if it dies first, they are
        the drain's once the claim lapses."""
        now = self._clock()
        effects = list(effects)
        models = [
            ModOutbox(
                guild_id=guild_id,
                key=e.key,
                kind=e.kind,
                entry_id=e.entry_id if e.entry_id is not None else entry_id,
                payload=json.dumps(_stored_payload(e)),
                attempts=1,
                next_at=now,
                created_at=now,
                claimed_by=self.holder,
                claimed_until=now + CLAIM_FOR,
            )
            for e in effects
        ]
        session.add_all(models)
        await session.flush()  # the ids, which go into the nonces
        return [
            OutboxRow(m.id, guild_id, e.kind, e.key, m.entry_id, _stored_payload(e), attempts=1)
            for m, e in zip(models, effects, strict=True)
        ]

    # -- doing ------------------------------------------------------------------------------------
    async def run(self, items: Sequence[int | OutboxRow]) -> dict[int, str | None]:
        """Do these rows now, in order, with what follows from them: row ids (claimed here
        first) or rows `write` returned. The outcome per row id: "done", "closed" (a DM to
        closed DMs), "failed", or None (not done now: claimed by another process, or to be
        retried)."""
        outcomes: dict[int, str | None] = {}
        queue = list(items)
        while queue:
            item = queue.pop(0)
            outcome, follow_ups = await self._do(item)
            outcomes[item if isinstance(item, int) else item.id] = outcome
            queue[:0] = follow_ups  # what follows from a row comes before the next row
        return outcomes

    async def drain(self, limit: int = 100) -> int:
        """Do the rows that are due and nobody is doing (the scheduler lease holder calls this
        for every guild); how many were done or given up."""
        now = self._clock()
        async with self._sessionmaker() as session:
            ids = list(
                await session.scalars(
                    select(ModOutbox.id)
                    .where(
                        ModOutbox.done_at.is_(None),
                        ModOutbox.next_at <= now,
                        or_(ModOutbox.claimed_until.is_(None), ModOutbox.claimed_until < now),
                    )
                    .order_by(ModOutbox.id)
                    .limit(limit)
                )
            )
        if not ids:
            return 0
        outcomes = await self.run(ids)
        return sum(1 for o in outcomes.values() if o is not None)

    async def prune(self) -> int:
        """Drop rows done long ago (the ledger keeps the record of each action)."""
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                delete(ModOutbox).where(
                    ModOutbox.done_at.is_not(None),
                    ModOutbox.done_at < self._clock() - KEEP_DONE,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def pending(self, guild_id: int | None = None) -> int:
        """Rows not done yet (for tests, benchmarks and the operator)."""
        async with self._sessionmaker() as session:
            query = select(ModOutbox.id).where(ModOutbox.done_at.is_(None))
            if guild_id is not None:
                query = query.where(ModOutbox.guild_id == guild_id)
            return len(list(await session.scalars(query)))

    async def _do(self, item: int | OutboxRow) -> tuple[str | None, list[OutboxRow]]:
        if isinstance(item, OutboxRow):
            row: OutboxRow | None = item
        else:
            try:
                row = await self._claim(item)
            except DB_FAILURES:
                log.warning("outbox claim failed; the drain retries", extra={"row": item})
                return None, []
        if row is None:
            return None, []
        try:
            outcome, result = await self._perform(row)
        except RETRYABLE as exc:
            return await self._failed(row, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug must not stop the other rows; retried like a failure
            log.exception("outbox row failed", extra={"row": row.id, "kind": row.kind})
            return await self._failed(row, f"{type(exc).__name__}: {exc}")
        try:
            return outcome, await self._finish(row, outcome, result)
        except DB_FAILURES:
            # Done on Discord, not recorded: redone after the claim lapses, with the same nonce.
            log.warning("outbox bookkeeping failed; the drain redoes it", extra={"row": row.id})
            return None, []

    async def _claim(self, row_id: int) -> OutboxRow | None:
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(ModOutbox)
                .where(
                    and_(
                        ModOutbox.id == row_id,
                        ModOutbox.done_at.is_(None),
                        ModOutbox.next_at <= now,
                        or_(ModOutbox.claimed_until.is_(None), ModOutbox.claimed_until < now),
                    )
                )
                .values(
                    claimed_by=self.holder,
                    claimed_until=now + CLAIM_FOR,
                    attempts=ModOutbox.attempts + 1,
                )
            )
            if not getattr(result, "rowcount", 0):
                return None
            row = (
                await session.execute(select(ModOutbox).where(ModOutbox.id == row_id))
            ).scalar_one()
            return OutboxRow(
                id=row.id,
                guild_id=int(row.guild_id),
                kind=row.kind,
                key=row.key,
                entry_id=row.entry_id,
                payload=json.loads(row.payload),
                attempts=row.attempts,
            )

    async def _perform(self, row: OutboxRow) -> tuple[str, dict[str, Any]]:
        """One call to Discord: "done", "closed" or "refused" (Discord said no for good), and
        what the call returned that the bookkeeping needs (a restored comment's new id)."""
        if row.kind == "restore":
            p = row.payload
            copy = MessageCopy.from_json(p["copy"])
            new_id = await self.port.restore_message(copy, p["note"], nonce=f"fbo{row.id}")
            return ("done" if new_id else "refused"), {"message_id": new_id}
        if row.kind == "pin":
            p = row.payload
            ok = await self.port.pin_message(p["channel_id"], p["message_id"], p["reason"])
            return ("done" if ok else "refused"), {}
        return await self._call(row), {}

    async def _call(self, row: OutboxRow) -> str:
        p = row.payload
        nonce = f"fbo{row.id}"  # Discord drops a second message with the same nonce
        port = self.port
        if row.kind == "delete":
            ok = await port.delete_message(p["channel_id"], p["message_id"], p["reason"])
            return "done" if ok else "refused"
        if row.kind == "timeout":
            until = datetime.fromisoformat(p["until"]) if p["until"] else None
            ok = await port.timeout_member(row.guild_id, p["member_id"], until, p["reason"])
            return "done" if ok else "refused"
        if row.kind == "modlog":
            async with self._sessionmaker() as session:
                entry = await Ledger(session).get(row.guild_id, int(p["entry_id"]))
            await port.post_modlog(row.guild_id, entry, p["summary"], nonce=nonce)
            return "done"
        if row.kind == "modlog_text":
            await port.post_modlog_text(row.guild_id, p["text"], nonce=nonce)
            return "done"
        if row.kind == "dm":
            delivered = await port.notify_member(Notice(**p["notice"]), nonce=nonce)
            return "done" if delivered else "closed"
        if row.kind == "thread":
            change = ThreadChange(**p["change"])
            ok = await port.change_thread(p["thread_id"], change, p["reason"])
            return "done" if ok else "refused"
        if row.kind == "announce":
            await port.post_in_thread(p["thread_id"], p["text"], nonce=nonce)
            return "done"
        raise ValueError(f"unknown outbox kind {row.kind!r}")

    async def _finish(
        self, row: OutboxRow, outcome: str, result: dict[str, Any] | None = None
    ) -> list[OutboxRow]:
        """Mark the row done and write what follows from it, in one transaction."""
        now = self._clock()
        follow: list[Effect] = []
        async with self._sessionmaker() as session, session.begin():
            if not await self._close(session, row, "failed" if outcome == "refused" else outcome):
                return []  # our claim lapsed and another process took the row over
            if outcome == "done":
                follow += [Effect.from_json(e) for e in row.payload.get("then", ())]
            if row.kind == "restore" and outcome == "done":
                follow += await self._restored(session, row, (result or {}).get("message_id"), now)
            if row.kind == "dm":
                follow += await self._dm_outcome(session, row, delivered=outcome == "done", at=now)
            elif row.kind == "thread" and outcome == "done" and row.payload.get("announce"):
                follow.append(
                    Effect(
                        "announce",
                        f"{row.key}:announce",
                        {"thread_id": row.payload["thread_id"], "text": row.payload["announce"]},
                    )
                )
            if outcome == "refused":
                self.failed += 1
                follow += self._tell_failure(row, "Discord refused it")
            return await self.write(session, row.guild_id, follow, entry_id=row.entry_id)

    async def _close(
        self, session: AsyncSession, row: OutboxRow, outcome: str, error: str = ""
    ) -> bool:
        result = await session.execute(
            update(ModOutbox)
            .where(
                ModOutbox.id == row.id,
                ModOutbox.claimed_by == self.holder,
                ModOutbox.done_at.is_(None),
            )
            .values(
                done_at=self._clock(),
                outcome=outcome,
                claimed_by=None,
                claimed_until=None,
                error=error[:300] or None,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def _dm_outcome(
        self, session: AsyncSession, row: OutboxRow, *, delivered: bool, at: datetime
    ) -> list[Effect]:
        """The ledger row saying whether the DM arrived; when it did not, the note that tells
        moderators the member was not told."""
        member_id = int(row.payload["notice"]["member_id"])
        notice = await Ledger(session).record(
            guild_id=row.guild_id,
            kind="notice",
            member_id=member_id,
            refers_to_id=row.entry_id,
            at=at,
            details={"dm": "sent" if delivered else "closed"},
        )
        if delivered:
            return []
        label = str(row.payload.get("label", "the case"))
        return [
            Effect(
                "modlog",
                f"case:{notice.id}:modlog",
                {
                    "entry_id": notice.id,
                    "summary": f"DMs closed: <@{member_id}> was not told about {label.lower()}",
                    "label": notice.label,
                },
            )
        ]

    async def _restored(
        self, session: AsyncSession, row: OutboxRow, new_id: int | None, at: datetime
    ) -> list[Effect]:
        """The ledger row saying a held comment is back (and under which id), and its post in
        the mod-log."""
        p = row.payload
        copy = MessageCopy.from_json(p["copy"])
        entry = await Ledger(session).record(
            guild_id=row.guild_id,
            kind="restore",
            member_id=copy.author_id,
            message=copy,
            actor_id=p.get("actor_id"),
            refers_to_id=p.get("restore_of"),
            at=at,
            details={"new_message_id": new_id, "item": p.get("item_id")},
        )
        return [modlog_effect(entry, modlog_summary(entry))]

    def _tell_failure(self, row: OutboxRow, why: str) -> list[Effect]:
        """A mod-log line naming what failed, unless the mod-log is what fails."""
        if row.kind in ("modlog", "modlog_text"):
            log.error("mod-log post failed for good", extra={"row": row.id, "why": why})
            return []
        label = row.payload.get("label", "A moderation action")
        text = (
            f"{label}: could not {row.payload.get('what') or WHAT.get(row.kind, row.kind)} "
            f"({why[:200]}). "
            "A moderator may need to do it by hand."
        )
        return [Effect("modlog_text", f"{row.key}:failed", {"text": text})]

    async def _failed(self, row: OutboxRow, error: str) -> tuple[str | None, list[OutboxRow]]:
        """Discord or the database failed: try again later, or give up and say so."""
        now = self._clock()
        try:
            async with self._sessionmaker() as session, session.begin():
                if row.attempts >= MAX_ATTEMPTS:
                    if not await self._close(session, row, "failed", error):
                        return None, []
                    self.failed += 1
                    log.warning(
                        "outbox row given up",
                        extra={"row": row.id, "kind": row.kind, "error": error[:200]},
                    )
                    tell = self._tell_failure(row, f"after {row.attempts} attempts: {error}")
                    return "failed", await self.write(
                        session, row.guild_id, tell, entry_id=row.entry_id
                    )
                delay = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
                await session.execute(
                    update(ModOutbox)
                    .where(ModOutbox.id == row.id, ModOutbox.claimed_by == self.holder)
                    .values(
                        claimed_by=None,
                        claimed_until=None,
                        next_at=now + timedelta(seconds=delay),
                        error=error[:300],
                    )
                )
        except DB_FAILURES:
            log.warning("outbox retry bookkeeping failed", extra={"row": row.id})
            return None, []
        self.retried += 1
        log.info(
            "outbox row failed; retrying",
            extra={"row": row.id, "kind": row.kind, "attempt": row.attempts, "error": error[:200]},
        )
        return None, []
