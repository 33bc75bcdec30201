"""Case numbers: one number per thing a member or moderator acts on, counted per guild.

Revision ID: 0005_cases
Revises: 0004_search

- `mod_actions.case_number`: actions on members (nudge, hold, remove, timeout, warn) are
  "Case #N", numbered 1, 2, 3 ... per guild; bookkeeping rows (reviews, pardons, restores,
  notices, thread and rule changes) have none, so case numbers never skip.
- `mod_queue_items.number` / `case_number`: a report is "Report #N", an appeal "Appeal #N"
  (each counted per guild); a held comment carries the number of its hold case; `case_number`
  is the case an item is about.
- `mod_counters`: the last number given per guild and kind (case, report, appeal).

Existing rows are numbered in the order they were written. The ledger's append-only trigger is
lifted for that one UPDATE and put back.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0005_cases"
down_revision = "0004_search"
branch_labels = None
depends_on = None

MEMBER_ACTIONS = ("nudge", "hold", "remove", "timeout", "warn")

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS mod_actions_no_update",
    "DROP TRIGGER IF EXISTS mod_actions_no_delete",
]
SQLITE_TRIGGERS = [
    """CREATE TRIGGER mod_actions_no_update BEFORE UPDATE ON mod_actions
    BEGIN SELECT RAISE(ABORT, 'mod_actions is append-only'); END""",
    """CREATE TRIGGER mod_actions_no_delete BEFORE DELETE ON mod_actions
    BEGIN SELECT RAISE(ABORT, 'mod_actions is append-only'); END""",
]
PG_DROP = ["ALTER TABLE mod_actions DISABLE TRIGGER mod_actions_no_change"]
PG_TRIGGERS = ["ALTER TABLE mod_actions ENABLE TRIGGER mod_actions_no_change"]


def _number_existing() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    counters: dict[tuple[int, str], int] = defaultdict(int)
    case_of: dict[int, int] = {}
    actions = bind.execute(sa.text("SELECT id, guild_id, kind FROM mod_actions ORDER BY id")).all()
    cases = [(aid, gid) for aid, gid, kind in actions if kind in MEMBER_ACTIONS]
    if cases:
        for statement in PG_DROP if postgres else SQLITE_DROP:
            op.execute(statement)
        for aid, gid in cases:
            counters[(gid, "case")] += 1
            case_of[aid] = counters[(gid, "case")]
            bind.execute(
                sa.text("UPDATE mod_actions SET case_number = :n WHERE id = :id"),
                {"n": case_of[aid], "id": aid},
            )
        for statement in PG_TRIGGERS if postgres else SQLITE_TRIGGERS:
            op.execute(statement)
    items = bind.execute(
        sa.text("SELECT id, guild_id, kind, action_id FROM mod_queue_items ORDER BY id")
    ).all()
    for iid, gid, kind, action_id in items:
        case = case_of.get(action_id) if action_id else None
        if kind == "held":
            number = case
        else:
            counters[(gid, kind)] += 1
            number = counters[(gid, kind)]
        bind.execute(
            sa.text("UPDATE mod_queue_items SET number = :n, case_number = :c WHERE id = :id"),
            {"n": number, "c": case, "id": iid},
        )
    for (gid, kind), value in counters.items():
        bind.execute(
            sa.text("INSERT INTO mod_counters (guild_id, kind, value) VALUES (:g, :k, :v)"),
            {"g": gid, "k": kind, "v": value},
        )


def upgrade() -> None:
    op.create_table(
        "mod_counters",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "kind"),
    )
    op.add_column("mod_actions", sa.Column("case_number", sa.Integer(), nullable=True))
    op.add_column("mod_queue_items", sa.Column("number", sa.Integer(), nullable=True))
    op.add_column("mod_queue_items", sa.Column("case_number", sa.Integer(), nullable=True))
    _number_existing()
    op.create_index("ix_mod_actions_case", "mod_actions", ["guild_id", "case_number"], unique=True)
    op.create_index("ix_mod_queue_items_number", "mod_queue_items", ["guild_id", "kind", "number"])


def downgrade() -> None:
    op.drop_index("ix_mod_queue_items_number", table_name="mod_queue_items")
    op.drop_index("ix_mod_actions_case", table_name="mod_actions")
    with op.batch_alter_table("mod_queue_items") as batch:
        batch.drop_column("case_number")
        batch.drop_column("number")
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    # Dropping a column rewrites the table on SQLite, which the append-only trigger refuses.
    for statement in PG_DROP if postgres else SQLITE_DROP:
        op.execute(statement)
    with op.batch_alter_table("mod_actions") as batch:
        batch.drop_column("case_number")
    for statement in PG_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    op.drop_table("mod_counters")
