"""The web dashboard's tables, shared by every process serving it: rate-limit counters, the
signed-in sessions, and the daily rollup of moderation actions its Activity page reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forumbot.storage.models.base import Base


class WebRateLimit(Base):
    """Hits on one key (e.g. `login:<ip>`) in one fixed window; the key names the window."""

    __tablename__ = "web_rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class WebSession(Base):
    """A signed-in person. The cookie names the row (by a random id, signed); the row is the
    session, so signing out or expiry ends it in every process at once. Only a digest of the
    id is stored: reading this table gives no cookie."""

    __tablename__ = "web_sessions"

    sid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    username: Mapped[str] = mapped_column(String(100))
    # [[guild id as text, name], ...] from Discord at sign-in: only lists servers, grants nothing.
    guilds: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ModActivityDay(Base):
    """How many ledger rows of one kind (and rule; "" for none) a guild got on one UTC day,
    folded in from the ledger by id (see services/moderation/rollup.py)."""

    __tablename__ = "mod_activity_days"
    # Activity's per-rule sums read this covering index in (rule, kind) order: no table
    # lookups and no sort of the 30 days' rows.
    __table_args__ = (Index("ix_mod_activity_days_rule", "guild_id", "rule", "kind", "day", "n"),)

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule: Mapped[str] = mapped_column(String(100), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class ModActivityMark(Base):
    """Up to which ledger row id a guild's rows are in mod_activity_days."""

    __tablename__ = "mod_activity_marks"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
