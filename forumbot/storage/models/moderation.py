"""Moderation tables: the append-only ledger, the review queue, per-guild rules and their audit
trail, and the record of every comment the civility engine has seen.

Discord ids are stored as BigInteger (snowflakes exceed 32 bits). Times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from forumbot.storage.models.base import Base


class ModAction(Base):
    """One row per moderation action, automatic or manual. Rows are never updated or deleted
    (database triggers refuse it); a pardon, a DM outcome or the end of a slow mode is a new row
    whose `refers_to_id` points at the original."""

    __tablename__ = "mod_actions"
    __table_args__ = (
        Index("ix_mod_actions_guild_member", "guild_id", "member_id", "created_at"),
        Index("ix_mod_actions_thread", "guild_id", "thread_id"),
        Index("ix_mod_actions_case", "guild_id", "case_number", unique=True),
        # The dashboard: a guild's cases newest first, and its actions per day (covering).
        Index("ix_mod_actions_guild_id", "guild_id", "id"),
        Index("ix_mod_actions_guild_member_id", "guild_id", "member_id", "id"),
        Index("ix_mod_actions_guild_created", "guild_id", "created_at", "kind", "rule"),
        # The cases page filtered by rule or by action, newest first: without them a rare rule
        # and action together walked most of the guild's ledger by id (12 ms at 100,000 rows).
        Index("ix_mod_actions_guild_rule_id", "guild_id", "rule", "id"),
        Index("ix_mod_actions_guild_kind_id", "guild_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    # What happened: log|nudge|hold|remove|timeout|warn|pardon|restore|notice|shadow|
    # lock|unlock|archive|slowmode|slowmode_end|pin|escalate
    kind: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    member_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    channel_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Full copy of the message acted on: content, author, channel, timestamps, attachment urls.
    message_copy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rule: Mapped[str | None] = mapped_column(String(100), nullable=True)
    guideline: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # None means the bot acted on its own (an automatic action).
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    refers_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("mod_actions.id"), nullable=True, index=True
    )
    # Free-form extras (timeout seconds, DM outcome, slow mode seconds, escalation source ...).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # "Case #N" for actions on members, counted per guild (None for bookkeeping rows).
    case_number: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ModQueueItem(Base):
    """Something a moderator must decide: a held message, a member's report, or an appeal."""

    __tablename__ = "mod_queue_items"
    __table_args__ = (
        Index("ix_mod_queue_items_open", "guild_id", "status"),
        Index("ix_mod_queue_items_number", "guild_id", "kind", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # held|report|appeal
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|claimed|decided
    # The ledger action this item is about (the hold, or the action appealed).
    action_id: Mapped[int | None] = mapped_column(ForeignKey("mod_actions.id"), nullable=True)
    member_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the subject
    reporter_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_copy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # "Report #N" / "Appeal #N" per guild; a held item carries its hold's case number.
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The case the item is about (the hold, or the case appealed).
    case_number: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ModCounter(Base):
    """The last number given per guild and kind (case, report, appeal)."""

    __tablename__ = "mod_counters"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class ModRuleSet(Base):
    """A guild's rule overrides (YAML, validated before it is stored)."""

    __tablename__ = "mod_rule_sets"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    overrides_yaml: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ModRuleChange(Base):
    """Audit trail of every rule change: who, why, and the YAML before and after."""

    __tablename__ = "mod_rule_changes"
    __table_args__ = (Index("ix_mod_rule_changes_guild", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    change: Mapped[str] = mapped_column(String(16))  # set|mode
    rule: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    before_yaml: Mapped[str] = mapped_column(Text)
    after_yaml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ModSeenMessage(Base):
    """Every comment the engine checked in an article thread (live, edited, relayed or
    imported), with the outcome, so backtests can replay recorded comments and `/mod thread`
    can count comments and participants."""

    __tablename__ = "mod_seen_messages"
    __table_args__ = (Index("ix_mod_seen_messages_thread", "guild_id", "thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    author_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    author_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # message|edit|title|relay|imported
    content: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))  # the verdict's action name
    rules: Mapped[str | None] = mapped_column(Text, nullable=True)  # comma-separated rule ids
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ModGuildPolicy(Base):
    """Per-guild ladder and slow-mode settings, as JSON over the defaults in the service."""

    __tablename__ = "mod_guild_policies"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
