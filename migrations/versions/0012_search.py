"""Search: a covering index of passages' article ids.

Ranking joins every scored match (up to 2,000 per search, more for partial matches) to its
passage only to read the passage's article (title score, library filter). Through the table
that reads one ~600-character row per match, spread over the whole file: at a million passages
mostly page-cache misses. Through this index the same lookups read a few small pages.

Revision ID: 0012_search
Revises: 0011_web_rollup
"""

from __future__ import annotations

from alembic import op

revision = "0012_search"
down_revision = "0011_web_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_passages_id_article", "passages", ["id", "article_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_passages_id_article", table_name="passages")
