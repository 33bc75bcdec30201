"""Archive undo: section headings on passages, removed articles (tombstones and the forum posts
to close), and the archive's audit trail.

Revision ID: 0006_archive_undo
Revises: 0004_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_archive_undo"
down_revision = "0005_cases"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # A plain ALTER on both engines: a batch copy would drop the FTS triggers of `passages`.
    op.add_column("passages", sa.Column("heading", sa.Text(), nullable=True))
    op.create_table(
        "removed_articles",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("removed_by", sa.String(200), nullable=False),
        sa.Column("removed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_removed_articles"),
    )
    op.create_table(
        "removed_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_removed_posts"),
    )
    op.create_index("ix_removed_posts_article_id", "removed_posts", ["article_id"])
    op.create_table(
        "archive_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_archive_audit"),
    )
    op.create_index("ix_archive_audit_article_id", "archive_audit", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_archive_audit_article_id", table_name="archive_audit")
    op.drop_table("archive_audit")
    op.drop_index("ix_removed_posts_article_id", table_name="removed_posts")
    op.drop_table("removed_posts")
    op.drop_table("removed_articles")
    op.execute("ALTER TABLE passages DROP COLUMN heading")  # SQLite >= 3.35, PostgreSQL
