"""Plain data passed between the moderation services and the cogs (no discord, no ORM)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_dt(value: Any) -> datetime | None:
    if not value:
        return None
    return as_utc(datetime.fromisoformat(str(value)))


@dataclass(frozen=True, slots=True)
class MessageCopy:
    """Everything needed to show, judge or restore a message exactly as it was.

    `source` tells where the text came from: a member's message, an edit, a thread title, the
    bot's own relayed text (citations), or an imported reader comment.
    """

    guild_id: int
    channel_id: int  # where the message lives (the thread for comments)
    message_id: int | None
    author_id: int | None
    author_name: str
    content: str
    created_at: datetime
    thread_id: int | None = None
    parent_id: int | None = None  # the forum channel
    edited_at: datetime | None = None
    attachments: tuple[str, ...] = ()
    source: str = "message"  # message|edit|title|relay|imported
    jump_url: str | None = None

    @property
    def is_member_text(self) -> bool:
        """A member wrote it (so DMs, points and timeouts apply)."""
        return self.source in {"message", "edit", "title"} and self.author_id is not None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = _iso(self.created_at)
        data["edited_at"] = _iso(self.edited_at)
        data["attachments"] = list(self.attachments)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageCopy:
        created = _parse_dt(data.get("created_at")) or utcnow()
        return cls(
            guild_id=int(data["guild_id"]),
            channel_id=int(data["channel_id"]),
            message_id=int(data["message_id"]) if data.get("message_id") else None,
            author_id=int(data["author_id"]) if data.get("author_id") else None,
            author_name=str(data.get("author_name") or "unknown"),
            content=str(data.get("content") or ""),
            created_at=created,
            thread_id=int(data["thread_id"]) if data.get("thread_id") else None,
            parent_id=int(data["parent_id"]) if data.get("parent_id") else None,
            edited_at=_parse_dt(data.get("edited_at")),
            attachments=tuple(data.get("attachments") or ()),
            source=str(data.get("source") or "message"),
            jump_url=data.get("jump_url"),
        )


# How bookkeeping rows (those without a case number) are named.
KIND_NAMES = {
    "pardon": "Pardon",
    "restore": "Restore",
    "review": "Review",
    "notice": "DM",
    "log": "Log",
    "shadow": "Shadow match",
    "lock": "Lock",
    "unlock": "Unlock",
    "archive": "Archive",
    "slowmode": "Slow mode",
    "slowmode_end": "End of slow mode",
    "pin": "Pin",
}


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A ledger row as the services and cogs see it."""

    id: int
    guild_id: int
    kind: str
    member_id: int | None
    member_name: str | None
    channel_id: int | None
    thread_id: int | None
    message_id: int | None
    message_copy: MessageCopy | None
    rule: str | None
    guideline: str | None
    reason: str | None
    actor_id: int | None
    points: float
    created_at: datetime
    expires_at: datetime | None
    refers_to_id: int | None
    details: dict[str, Any] = field(default_factory=dict)
    case_number: int | None = None

    @property
    def automatic(self) -> bool:
        return self.actor_id is None

    @property
    def refers_to_case(self) -> int | None:
        """The case number of the action this row is about (a pardon's, a review's ...)."""
        value = self.details.get("case")
        return int(value) if value else None

    @property
    def label(self) -> str:
        """ "Case #12" for an action on a member; otherwise what the row is, and its case."""
        if self.case_number is not None:
            return f"Case #{self.case_number}"
        name = KIND_NAMES.get(self.kind, self.kind.replace("_", " ").capitalize())
        if self.kind == "rules" and self.details.get("change_id"):
            return f"Rule change #{self.details['change_id']}"
        item = self.details.get("item_label")
        if self.kind == "review" and item:
            return f"Review of {str(item)[0].lower()}{str(item)[1:]}"
        ref = self.refers_to_case
        return f"{name} of case #{ref}" if ref else name


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    guild_id: int
    kind: str  # held|report|appeal
    status: str  # open|claimed|decided
    action_id: int | None
    member_id: int | None
    reporter_id: int | None
    thread_id: int | None
    reason: str | None
    message_copy: MessageCopy | None
    created_at: datetime
    claimed_by: int | None
    decided_by: int | None
    decision: str | None
    decision_reason: str | None
    number: int | None = None
    case_number: int | None = None

    @property
    def label(self) -> str:
        """ "Case #12 (held)", "Report #4", "Appeal #3 on case #12"."""
        if self.kind == "held":
            return f"Case #{self.number} (held)"
        if self.kind == "appeal":
            on = f" on case #{self.case_number}" if self.case_number else ""
            return f"Appeal #{self.number}{on}"
        return f"Report #{self.number}"
