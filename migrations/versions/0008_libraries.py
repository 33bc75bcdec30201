"""Libraries: every article belongs to a library, a guild's own or the operator's shared one.

Revision ID: 0008_libraries
Revises: 0004_search

- `articles.library_id` (0 = the shared library): every article stored so far becomes part of
  the shared library, which every guild sees, so an existing deployment behaves as before.
- An article's key is unique within its library (`uq_articles_library_id_key`), no longer across
  the whole archive: the same file loaded by two guilds makes two articles.
- `shared_library_guilds`: when it has rows, only those guilds see the shared library.

On SQLite, changing the unique constraint rebuilds `articles` (batch mode), which drops the
triggers that keep `articles_fts` in step; they are created again as 0004 made them. Article ids
are kept, so the title index stays valid.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_libraries"
down_revision = "0007_coordination"
branch_labels = None
depends_on = None

# 0004's triggers on `articles` (SQLite), recreated after the table is rebuilt.
SQLITE_ARTICLE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_bd",
    """CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title) VALUES (new.id, new.title);
    END""",
    """CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title) VALUES ('delete', old.id, old.title);
    END""",
    """CREATE TRIGGER articles_fts_au AFTER UPDATE OF title ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO articles_fts(rowid, title) VALUES (new.id, new.title);
    END""",
    """CREATE TRIGGER articles_fts_bd BEFORE DELETE ON articles BEGIN
    DELETE FROM passages WHERE article_id = old.id;
    END""",
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "shared_library_guilds",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_shared_library_guilds")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("library_id", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("uq_articles_key", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_articles_library_id_key"), ["library_id", "key"]
        )
    if _sqlite():
        for statement in SQLITE_ARTICLE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    # Keys are unique per library only: a downgrade keeps the shared library's articles and
    # drops the guilds' own (it cannot make two articles with one key fit the old constraint).
    # Foreign keys are off while SQLite migrates, so the dependent rows go first, by hand
    # (publication_messages follow their publications the same way).
    guild_articles = "SELECT id FROM articles WHERE library_id <> 0"
    op.execute(
        "DELETE FROM publication_messages WHERE publication_id IN"
        f" (SELECT id FROM publications WHERE article_id IN ({guild_articles}))"
    )
    op.execute(
        "DELETE FROM search_term_passages WHERE passage_id IN"
        f" (SELECT id FROM passages WHERE article_id IN ({guild_articles}))"
    )
    for table in ("publications", "comments", "article_tags", "article_revisions", "passages"):
        op.execute(f"DELETE FROM {table} WHERE article_id IN ({guild_articles})")
    op.execute("DELETE FROM articles WHERE library_id <> 0")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_constraint("uq_articles_library_id_key", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_articles_key"), ["key"])
        batch_op.drop_column("library_id")
    if _sqlite():
        for statement in SQLITE_ARTICLE_TRIGGERS:
            op.execute(statement)
    op.drop_table("shared_library_guilds")
