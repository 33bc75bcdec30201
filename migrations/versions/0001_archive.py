"""Archive: articles, tags, revisions, passages, comments, and full-text search.

Revision ID: 0001_archive
Revises:
Create Date: 2026-11-21

Full-text search is dialect-specific and not part of the ORM models:
- SQLite: FTS5 table `passages_fts(title, text)` with external content read from the view
  `passages_fts_source` (passage text + its article's title), kept in sync by triggers. FTS5's
  'delete' needs the exact values that were indexed, so a title change re-indexes the article's
  passages and deleting an article deletes its passages first (while the title is still there).
- PostgreSQL: `passages.search_vector` (title weight A, text weight B) maintained by triggers,
  a GIN index, and the text search configuration `forumbot_english` (english + unaccent, so
  "cafe" finds "café" as SQLite's remove_diacritics does).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_archive"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS_UP = [
    """CREATE VIEW passages_fts_source AS
    SELECT p.id AS id, a.title AS title, p.text AS text
    FROM passages AS p JOIN articles AS a ON a.id = p.article_id""",
    """CREATE VIRTUAL TABLE passages_fts USING fts5(
    title, text, content='passages_fts_source', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')""",
    """CREATE TRIGGER passages_fts_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, title, text)
    VALUES (new.id, (SELECT title FROM articles WHERE id = new.article_id), new.text);
    END""",
    """CREATE TRIGGER passages_fts_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, title, text)
    VALUES ('delete', old.id, (SELECT title FROM articles WHERE id = old.article_id), old.text);
    END""",
    """CREATE TRIGGER passages_fts_au AFTER UPDATE OF text, article_id ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, title, text)
    VALUES ('delete', old.id, (SELECT title FROM articles WHERE id = old.article_id), old.text);
    INSERT INTO passages_fts(rowid, title, text)
    VALUES (new.id, (SELECT title FROM articles WHERE id = new.article_id), new.text);
    END""",
    """CREATE TRIGGER articles_fts_title AFTER UPDATE OF title ON articles
    WHEN old.title IS NOT new.title BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, title, text)
    SELECT 'delete', id, old.title, text FROM passages WHERE article_id = old.id;
    INSERT INTO passages_fts(rowid, title, text)
    SELECT id, new.title, text FROM passages WHERE article_id = new.id;
    END""",
    """CREATE TRIGGER articles_fts_bd BEFORE DELETE ON articles BEGIN
    DELETE FROM passages WHERE article_id = old.id;
    END""",
]

SQLITE_FTS_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_bd",
    "DROP TRIGGER IF EXISTS articles_fts_title",
    "DROP TRIGGER IF EXISTS passages_fts_au",
    "DROP TRIGGER IF EXISTS passages_fts_ad",
    "DROP TRIGGER IF EXISTS passages_fts_ai",
    "DROP TABLE IF EXISTS passages_fts",
    "DROP VIEW IF EXISTS passages_fts_source",
]

PG_TSV = (
    "setweight(to_tsvector('forumbot_english', coalesce({title}, '')), 'A')"
    " || setweight(to_tsvector('forumbot_english', {text}), 'B')"
)

POSTGRES_FTS_UP = [
    # unaccent is a trusted extension (PostgreSQL 13+): a database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION forumbot_english (COPY = pg_catalog.english)",
    """ALTER TEXT SEARCH CONFIGURATION forumbot_english
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem""",
    "ALTER TABLE passages ADD COLUMN search_vector tsvector",
    "CREATE INDEX ix_passages_search_vector ON passages USING gin (search_vector)",
    f"""CREATE FUNCTION forumbot_passages_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := {
        PG_TSV.format(
            title="(SELECT title FROM articles WHERE id = NEW.article_id)", text="NEW.text"
        )
    };
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER passages_tsv BEFORE INSERT OR UPDATE OF text, article_id ON passages
    FOR EACH ROW EXECUTE FUNCTION forumbot_passages_tsv()""",
    f"""CREATE FUNCTION forumbot_articles_title_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE passages SET search_vector = {PG_TSV.format(title="NEW.title", text="text")}
        WHERE article_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER articles_title_tsv AFTER UPDATE OF title ON articles
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION forumbot_articles_title_tsv()""",
]

POSTGRES_FTS_DOWN = [
    "DROP TRIGGER IF EXISTS articles_title_tsv ON articles",
    "DROP FUNCTION IF EXISTS forumbot_articles_title_tsv()",
    "DROP TRIGGER IF EXISTS passages_tsv ON passages",
    "DROP FUNCTION IF EXISTS forumbot_passages_tsv()",
    "DROP INDEX IF EXISTS ix_passages_search_vector",
    "ALTER TABLE passages DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS forumbot_english",
    # The unaccent extension stays: other objects may use it.
]


def _fts_statements(up: bool) -> list[str]:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        return SQLITE_FTS_UP if up else SQLITE_FTS_DOWN
    if dialect == "postgresql":
        return POSTGRES_FTS_UP if up else POSTGRES_FTS_DOWN
    raise NotImplementedError(f"full-text search is not implemented for {dialect}")


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=True),
        sa.Column("date", sa.String(length=40), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("key", name=op.f("uq_articles_key")),
    )
    op.create_table(
        "article_tags",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_tags_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "tag", name=op.f("pk_article_tags")),
    )
    op.create_index("ix_article_tags_tag", "article_tags", ["tag"], unique=False)
    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("passage_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_revisions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_revisions")),
        sa.UniqueConstraint(
            "article_id", "number", name=op.f("uq_article_revisions_article_id_number")
        ),
    )
    op.create_table(
        "passages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("stable_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_passages_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passages")),
        sa.UniqueConstraint("article_id", "number", name=op.f("uq_passages_article_id_number")),
        sa.UniqueConstraint(
            "article_id", "stable_id", name=op.f("uq_passages_article_id_stable_id")
        ),
    )
    op.create_index("ix_passages_stable_id", "passages", ["stable_id"], unique=False)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("discord_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_comments_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(op.f("ix_comments_article_id"), "comments", ["article_id"], unique=False)

    for statement in _fts_statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _fts_statements(up=False):
        op.execute(statement)
    op.drop_index(op.f("ix_comments_article_id"), table_name="comments")
    op.drop_table("comments")
    op.drop_index("ix_passages_stable_id", table_name="passages")
    op.drop_table("passages")
    op.drop_table("article_revisions")
    op.drop_index("ix_article_tags_tag", table_name="article_tags")
    op.drop_table("article_tags")
    op.drop_table("articles")
