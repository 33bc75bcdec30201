"""Tables the Discord side needs: per-guild settings, the publishing outbox, search sessions for
persistent buttons, and small bot state (the command-tree hash).

Snowflakes are BigInteger (they fit in a signed 64-bit integer on both SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forumbot.storage.models.base import Base, utcnow


class GuildSettings(Base):
    """What /setup chose for a guild."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    forum_channel_id: Mapped[int] = mapped_column(BigInteger)
    modlog_channel_id: Mapped[int] = mapped_column(BigInteger)
    moderator_role_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Publication(Base):
    """One article published as one forum post in one guild (the outbox's parent row).

    `state`: planned -> creating (intent recorded, thread call may have happened) -> posting
    (thread known) -> done. `marker` is written into the starter message so a restart can find a
    thread whose creation was not recorded.
    """

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("guild_id", "article_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    forum_channel_id: Mapped[int] = mapped_column(BigInteger)
    article_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(100))
    starter_content: Mapped[str] = mapped_column(Text)
    tag_names: Mapped[str] = mapped_column(Text, default="")  # newline-separated
    marker: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="planned")
    thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    messages: Mapped[list[PublicationMessage]] = relationship(
        back_populates="publication",
        order_by="PublicationMessage.seq",
        cascade="all, delete-orphan",
    )


class PublicationMessage(Base):
    """One message of a publication, planned before anything is sent (the outbox rows).

    `state`: pending -> sending (intent recorded; the send may have happened) -> sent.
    """

    __tablename__ = "publication_messages"
    __table_args__ = (
        UniqueConstraint("publication_id", "seq"),
        Index("ix_publication_messages_passages", "publication_id", "first_passage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("publications.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "passages" | "comment"
    content: Mapped[str] = mapped_column(Text)
    first_passage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_passage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    nonce: Mapped[str] = mapped_column(String(25))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    publication: Mapped[Publication] = relationship(back_populates="messages")


class SearchSession(Base):
    """A /search query, so result buttons can page after a restart with a short custom_id."""

    __tablename__ = "search_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200), nullable=True)
    article_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Where it was made: a guild, or (guild NULL) a DM with this user. Buttons elsewhere fail.
    guild_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BotState(Base):
    """Small key/value facts the bot keeps between runs (e.g. the synced command-tree hash)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
