"""Moderation outbox (side effects of a case written with the case, done exactly once), and
saved searches bound to the guild (or DM user) they were made in.

Revision ID: 0013_outbox
Revises: 0012_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_outbox"
down_revision = "0012_search"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mod_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mod_outbox"),
        sa.UniqueConstraint("key", name="uq_mod_outbox_key"),
    )
    op.create_index("ix_mod_outbox_due", "mod_outbox", ["done_at", "next_at"], unique=False)
    # Searches saved before this revision have no guild: their buttons answer "expired".
    with op.batch_alter_table("search_sessions") as batch:
        batch.add_column(sa.Column("guild_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_sessions") as batch:
        batch.drop_column("user_id")
        batch.drop_column("guild_id")
    op.drop_index("ix_mod_outbox_due", table_name="mod_outbox")
    op.drop_table("mod_outbox")
