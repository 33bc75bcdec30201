"""Dashboard speed: the ledger by rule and by action newest first (the cases page's filters),
and a covering index for the Activity page's per-rule sums over the daily rollup.

Revision ID: 0015_web_speed
Revises: 0014_feeds
"""

from __future__ import annotations

from alembic import op

revision = "0015_web_speed"
down_revision = "0014_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_mod_actions_guild_rule_id", "mod_actions", ["guild_id", "rule", "id"], unique=False
    )
    op.create_index(
        "ix_mod_actions_guild_kind_id", "mod_actions", ["guild_id", "kind", "id"], unique=False
    )
    op.create_index(
        "ix_mod_activity_days_rule",
        "mod_activity_days",
        ["guild_id", "rule", "kind", "day", "n"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_mod_activity_days_rule", table_name="mod_activity_days")
    op.drop_index("ix_mod_actions_guild_kind_id", table_name="mod_actions")
    op.drop_index("ix_mod_actions_guild_rule_id", table_name="mod_actions")
