"""Feed subscriptions and their entries. An entry row is inserted once per (feed, entry key),
which is what makes an entry stored once and published once whatever polls it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from forumbot.storage.models.base import Base, utcnow


class Feed(Base):
    """A subscription: the guild whose library and forum it feeds (0: the shared library), the
    URL, how entries go out (`auto`, `review`, or `store` for the shared library), its schedule,
    the validators of the last answer (conditional requests) and its failure count."""

    __tablename__ = "feeds"
    __table_args__ = (
        UniqueConstraint("guild_id", "url"),
        Index("ix_feeds_due", "paused", "next_poll_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(300))
    tags: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of extra tags
    mode: Mapped[str] = mapped_column(String(10))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    # Import what the feed holds when first polled (else those entries are only marked seen).
    backfill: Mapped[bool] = mapped_column(Boolean, default=False)
    baselined: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    next_poll_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FeedEntry(Base):
    """One entry of a feed, keyed by its id/GUID, else its link. `state`: seen (there before
    the subscription), new, stored, review (a card is, or is being, posted), published,
    skipped, failed."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        UniqueConstraint("feed_id", "entry_key"),
        Index("ix_feed_entries_state", "state", "feed_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(512))
    link: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[int | None] = mapped_column(Integer)
    # The parsed article awaiting review (JSON), stored into the archive on Publish.
    payload: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # The review card: its nonce is recorded before it is sent, its id once it is.
    review_nonce: Mapped[str | None] = mapped_column(String(25))
    review_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
