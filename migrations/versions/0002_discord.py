"""Discord side: guild settings, publishing outbox, search sessions, bot state.

Revision ID: 0002_discord
Revises: 0001_archive
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_discord"
down_revision = "0001_archive"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("forum_channel_id", sa.BigInteger(), nullable=False),
        sa.Column("modlog_channel_id", sa.BigInteger(), nullable=False),
        sa.Column("moderator_role_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name="pk_guild_settings"),
    )
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("forum_channel_id", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("starter_content", sa.Text(), nullable=False),
        sa.Column("tag_names", sa.Text(), nullable=False),
        sa.Column("marker", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_publications_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_publications"),
        sa.UniqueConstraint("guild_id", "article_id", name="uq_publications_guild_id_article_id"),
    )
    op.create_index("ix_publications_article_id", "publications", ["article_id"])
    op.create_table(
        "publication_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("first_passage", sa.Integer(), nullable=True),
        sa.Column("last_passage", sa.Integer(), nullable=True),
        sa.Column("nonce", sa.String(25), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name="fk_publication_messages_publication_id_publications",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_publication_messages"),
        sa.UniqueConstraint(
            "publication_id", "seq", name="uq_publication_messages_publication_id_seq"
        ),
    )
    op.create_index(
        "ix_publication_messages_passages",
        "publication_messages",
        ["publication_id", "first_passage"],
    )
    op.create_table(
        "search_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_sessions"),
    )
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_bot_state"),
    )


def downgrade() -> None:
    op.drop_table("bot_state")
    op.drop_table("search_sessions")
    op.drop_index("ix_publication_messages_passages", table_name="publication_messages")
    op.drop_table("publication_messages")
    op.drop_index("ix_publications_article_id", table_name="publications")
    op.drop_table("publications")
    op.drop_table("guild_settings")
