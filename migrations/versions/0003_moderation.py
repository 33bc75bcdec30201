"""Moderation: append-only ledger, review queue, per-guild rules and their audit trail, seen
comments, ladder policy.

Revision ID: 0003_moderation
Revises: 0002_discord
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_moderation"
down_revision = "0002_discord"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# The ledger is append-only: the database itself refuses to change or delete its rows.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER mod_actions_no_update BEFORE UPDATE ON mod_actions
    BEGIN SELECT RAISE(ABORT, 'mod_actions is append-only'); END""",
    """CREATE TRIGGER mod_actions_no_delete BEFORE DELETE ON mod_actions
    BEGIN SELECT RAISE(ABORT, 'mod_actions is append-only'); END""",
]
PG_TRIGGERS = [
    """CREATE FUNCTION mod_actions_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'mod_actions is append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER mod_actions_no_change BEFORE UPDATE OR DELETE ON mod_actions
    FOR EACH ROW EXECUTE FUNCTION mod_actions_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "mod_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("member_name", sa.String(100), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("message_copy", sa.JSON(), nullable=True),
        sa.Column("rule", sa.String(100), nullable=True),
        sa.Column("guideline", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("refers_to_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["refers_to_id"], ["mod_actions.id"], name="fk_mod_actions_refers_to_id_mod_actions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mod_actions"),
    )
    op.create_index(
        "ix_mod_actions_guild_member", "mod_actions", ["guild_id", "member_id", "created_at"]
    )
    op.create_index("ix_mod_actions_thread", "mod_actions", ["guild_id", "thread_id"])
    op.create_index("ix_mod_actions_refers_to_id", "mod_actions", ["refers_to_id"])

    op.create_table(
        "mod_queue_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("reporter_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("message_copy", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("claimed_by", sa.BigInteger(), nullable=True),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["mod_actions.id"], name="fk_mod_queue_items_action_id_mod_actions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mod_queue_items"),
    )
    op.create_index("ix_mod_queue_items_open", "mod_queue_items", ["guild_id", "status"])

    op.create_table(
        "mod_rule_sets",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("overrides_yaml", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name="pk_mod_rule_sets"),
    )
    op.create_table(
        "mod_rule_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before_yaml", sa.Text(), nullable=False),
        sa.Column("after_yaml", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mod_rule_changes"),
    )
    op.create_index("ix_mod_rule_changes_guild", "mod_rule_changes", ["guild_id", "created_at"])

    op.create_table(
        "mod_seen_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(100), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("rules", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mod_seen_messages"),
    )
    op.create_index("ix_mod_seen_messages_thread", "mod_seen_messages", ["guild_id", "thread_id"])

    op.create_table(
        "mod_guild_policies",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name="pk_mod_guild_policies"),
    )

    triggers = PG_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS mod_actions_no_change ON mod_actions")
        op.execute("DROP FUNCTION IF EXISTS mod_actions_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS mod_actions_no_update")
        op.execute("DROP TRIGGER IF EXISTS mod_actions_no_delete")
    op.drop_table("mod_guild_policies")
    op.drop_index("ix_mod_seen_messages_thread", table_name="mod_seen_messages")
    op.drop_table("mod_seen_messages")
    op.drop_index("ix_mod_rule_changes_guild", table_name="mod_rule_changes")
    op.drop_table("mod_rule_changes")
    op.drop_table("mod_rule_sets")
    op.drop_index("ix_mod_queue_items_open", table_name="mod_queue_items")
    op.drop_table("mod_queue_items")
    op.drop_index("ix_mod_actions_refers_to_id", table_name="mod_actions")
    op.drop_index("ix_mod_actions_thread", table_name="mod_actions")
    op.drop_index("ix_mod_actions_guild_member", table_name="mod_actions")
    op.drop_table("mod_actions")
