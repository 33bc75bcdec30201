"""Tables that let several bot processes share one database without doing anything twice:
leases for singleton work and shard ownership, claims that make a message's screening and an
interaction's answer happen once, and version counters that tell a process its caches are stale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forumbot.storage.models.base import Base, utcnow


class Lease(Base):
    """Who holds a named piece of work (`scheduler`, `shard:0/2`) until when. A holder renews
    before `expires_at`; once it has passed, anyone may take the lease over."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MessageClaim(Base):
    """One row per screened revision of a message (the original, each edit's text, a title).
    Inserted in the transaction that writes the ledger rows, so a second process (or a replayed
    event) that screens the same revision finds the row and does nothing."""

    __tablename__ = "message_claims"
    __table_args__ = (UniqueConstraint("message_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    # source plus a digest of the text: "message:<sha1>", "edit:<sha1>", "title:<sha1>".
    revision: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InteractionClaim(Base):
    """An interaction is answered by the one process that inserted its id here."""

    __tablename__ = "interaction_claims"

    interaction_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CacheVersion(Base):
    """A counter per cached thing (`rules` of guild 123, `settings` of guild 123); a write bumps
    it, a reader compares it with the version its cached copy was built from."""

    __tablename__ = "cache_versions"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
