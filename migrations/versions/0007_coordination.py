"""Coordination between bot processes: leases, message and interaction claims, cache versions.

Revision ID: 0007_coordination
Revises: 0004_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_coordination"
down_revision = "0006_archive_undo"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("acquired_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )
    op.create_table(
        "message_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_message_claims"),
        sa.UniqueConstraint("message_id", "revision", name="uq_message_claims_message_id_revision"),
    )
    op.create_table(
        "interaction_claims",
        sa.Column("interaction_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("interaction_id", name="pk_interaction_claims"),
    )
    op.create_table(
        "cache_versions",
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "guild_id", name="pk_cache_versions"),
    )


def downgrade() -> None:
    op.drop_table("cache_versions")
    op.drop_table("interaction_claims")
    op.drop_table("message_claims")
    op.drop_table("leases")
