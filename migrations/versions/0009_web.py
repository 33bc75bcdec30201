"""Web dashboard: rate-limit counters shared by every process that serves it, and two indexes
on the ledger for its pages (a guild's cases newest first, a member's cases in order, actions
per day, covering).

Revision ID: 0009_web
Revises: 0004_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_web"
down_revision = "0008_libraries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_rate_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_rate_limits")),
    )
    op.create_index(
        op.f("ix_web_rate_limits_expires_at"), "web_rate_limits", ["expires_at"], unique=False
    )
    op.create_index("ix_mod_actions_guild_id", "mod_actions", ["guild_id", "id"], unique=False)
    op.create_index(
        "ix_mod_actions_guild_member_id",
        "mod_actions",
        ["guild_id", "member_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_mod_actions_guild_created",
        "mod_actions",
        ["guild_id", "created_at", "kind", "rule"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_mod_actions_guild_created", table_name="mod_actions")
    op.drop_index("ix_mod_actions_guild_member_id", table_name="mod_actions")
    op.drop_index("ix_mod_actions_guild_id", table_name="mod_actions")
    op.drop_index(op.f("ix_web_rate_limits_expires_at"), table_name="web_rate_limits")
    op.drop_table("web_rate_limits")
