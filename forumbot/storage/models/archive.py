"""The article archive: articles, their tags, revisions, current passages and comments.

Full-text search objects (SQLite FTS5 table + triggers, PostgreSQL `search_vector` column +
triggers) are not modelled here: they are dialect-specific and live in migration 0001; env.py
keeps them out of autogenerate comparisons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
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

# The operator's library (loaded from the command line, the seeds): every guild sees it unless
# `shared_library_guilds` names the guilds that may. Guild ids are snowflakes, never 0.
SHARED_LIBRARY = 0


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The library the article belongs to: a guild's id, or SHARED_LIBRARY (the operator's).
    library_id: Mapped[int] = mapped_column(
        BigInteger, default=SHARED_LIBRARY, server_default=str(SHARED_LIBRARY)
    )
    # Identifies the item across loads within its library (an edited file revises the same
    # article; the same file loaded into another library is another article).
    key: Mapped[str] = mapped_column(String(512))
    title: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(300))
    date: Mapped[str | None] = mapped_column(String(40))  # ISO 8601, possibly partial
    source: Mapped[str | None] = mapped_column(Text)
    # Hash of everything a load writes; equal hash means "unchanged", no writes.
    content_hash: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    tags: Mapped[list[ArticleTag]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )

    # Also the index that finds a library's articles (its leading column).
    __table_args__ = (UniqueConstraint("library_id", "key"),)


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)

    article: Mapped[Article] = relationship(back_populates="tags")

    __table_args__ = (Index("ix_article_tags_tag", "tag"),)


class ArticleRevision(Base):
    """One saved version of an article. `passage_ids` lists that version's passage stable ids
    in order, so a citation of an old revision's passage number can still be resolved."""

    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    passage_ids: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("article_id", "number"),)


class Passage(Base):
    """A numbered paragraph of an article's CURRENT revision. `id` is the FTS rowid."""

    __tablename__ = "passages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1-based, as cited
    stable_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    # The section heading the passage sits under (Markdown `##`), never a passage itself.
    heading: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("article_id", "number"),
        UniqueConstraint("article_id", "stable_id"),
        Index("ix_passages_stable_id", "stable_id"),
        # Covering: search reads a match's article without reading its row (migration 0012).
        Index("ix_passages_id_article", "id", "article_id"),
    )


class Comment(Base):
    """A reader comment: imported with the article, or (later) posted on Discord."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    author: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20), default="imported")  # imported | discord
    discord_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RemovedArticle(Base):
    """An article an admin deleted: kept so that a citation of it answers "this article was
    removed" rather than "no such article" (its passages and comments are gone)."""

    __tablename__ = "removed_articles"

    article_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(512))
    title: Mapped[str] = mapped_column(Text)
    removed_by: Mapped[str] = mapped_column(String(200))
    removed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RemovedPost(Base):
    """The forum post of a removed article, to be closed with a notice (an outbox row: the CLI
    records it, the bot carries it out, exactly once across restarts).

    `state`: pending -> sending (the notice may have been sent) -> done."""

    __tablename__ = "removed_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger)
    notice: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")


class ArchiveAudit(Base):
    """Who changed the archive how: deletions (and revisions made from Discord)."""

    __tablename__ = "archive_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    article_id: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    guild_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class SharedLibraryGuild(Base):
    """A guild allowed to see the shared library. No rows: every guild sees it."""

    __tablename__ = "shared_library_guilds"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
