"""What the feeds service hands out and what it needs from Discord (a port the cog implements)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from forumbot.services.errors import InvalidInput, NotFound

MODES = ("auto", "review")
STORE_ONLY = "store"  # the shared library's feeds: stored, posted by no one in particular


class FeedNotFound(NotFound):
    """No such feed in this guild."""


class FeedInputError(InvalidInput):
    """A bad URL, interval, mode or tag; or the URL is not a feed."""


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: int
    guild_id: int  # 0: the shared library
    url: str
    title: str | None
    tags: tuple[str, ...]
    mode: str  # auto | review | store
    interval_seconds: int
    paused: bool
    pause_reason: str | None
    failures: int
    last_error: str | None
    next_poll_at: datetime
    last_polled_at: datetime | None
    entries: int = 0
    published: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "guild_id": self.guild_id or None,
            "url": self.url,
            "title": self.title,
            "tags": list(self.tags),
            "mode": self.mode,
            "interval_seconds": self.interval_seconds,
            "paused": self.paused,
            "pause_reason": self.pause_reason,
            "failures": self.failures,
            "last_error": self.last_error,
            "next_poll_at": self.next_poll_at.isoformat(),
            "last_polled_at": self.last_polled_at.isoformat() if self.last_polled_at else None,
            "entries": self.entries,
            "published": self.published,
        }


@dataclass(frozen=True, slots=True)
class ReviewCard:
    """What the mod-log shows for an entry awaiting review."""

    entry_id: int
    nonce: str
    feed_id: int
    feed_title: str
    title: str
    link: str | None
    author: str | None
    passages: int
    opening: str  # the first passage


@dataclass(slots=True)
class FeedPollResult:
    feed_id: int
    guild_id: int
    url: str
    status: str  # "ok" | "not_modified" | "failed" | "paused" | "busy"
    new_entries: int = 0
    imported: list[dict[str, Any]] = field(default_factory=list)  # stored entries
    errors: list[str] = field(default_factory=list)  # entries that failed this round
    error: str | None = None  # the feed's own failure

    def to_dict(self) -> dict[str, Any]:
        return {
            "feed_id": self.feed_id,
            "guild_id": self.guild_id or None,
            "url": self.url,
            "status": self.status,
            "new_entries": self.new_entries,
            "imported": self.imported,
            "errors": self.errors,
            "error": self.error,
        }


class FeedPort(Protocol):
    """Discord, as the poller needs it. Each call is safe to repeat (publishing is exactly
    once; a review card is looked for by its entry before one is sent)."""

    async def publish(self, guild_id: int, article_id: int) -> None: ...

    async def post_review(self, guild_id: int, card: ReviewCard) -> int: ...

    async def notify(self, guild_id: int, text: str) -> None: ...
