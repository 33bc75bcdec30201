"""Feeds: subscriptions (guild, URL, mode, schedule, conditional-request validators, failures)
and their entries, unique per (feed, entry key) so each is stored and published once.

Revision ID: 0014_feeds
Revises: 0013_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_feeds"
down_revision = "0013_outbox"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("backfill", sa.Boolean(), nullable=False),
        sa.Column("baselined", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(500), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        sa.Column("next_poll_at", TS, nullable=False),
        sa.Column("last_polled_at", TS, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feeds"),
        sa.UniqueConstraint("guild_id", "url", name="uq_feeds_guild_id_url"),
    )
    op.create_index("ix_feeds_due", "feeds", ["paused", "next_poll_at"], unique=False)
    op.create_table(
        "feed_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sa.String(512), nullable=False),
        sa.Column("link", sa.String(2000), nullable=True),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("review_nonce", sa.String(25), nullable=True),
        sa.Column("review_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
            name="fk_feed_entries_feed_id_feeds",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feed_entries"),
        sa.UniqueConstraint("feed_id", "entry_key", name="uq_feed_entries_feed_id_entry_key"),
    )
    op.create_index("ix_feed_entries_state", "feed_entries", ["state", "feed_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feed_entries_state", table_name="feed_entries")
    op.drop_table("feed_entries")
    op.drop_index("ix_feeds_due", table_name="feeds")
    op.drop_table("feeds")
