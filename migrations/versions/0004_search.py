"""Search: passages indexed by their own text only, an index over article titles, and ranking
lists for frequent terms.

Revision ID: 0004_search
Revises: 0003_moderation

- SQLite: `passages_fts(text)` (external content `passages`) replaces `passages_fts(title, text)`
  over a view; `articles_fts(title)` (external content `articles`) indexes titles, 40x fewer
  rows than passages, so a title match no longer needs a pass over passages.
- PostgreSQL: `passages.search_vector` holds the text only; `articles.search_vector` (GIN) the
  title.
- Both: `search_terms` / `search_term_passages` (forumbot.storage.models.search).

Rebuilding the indexes takes a while on a large archive (about a minute per 200k passages).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_search"
down_revision = "0003_moderation"
branch_labels = None
depends_on = None

TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3'"

SQLITE_DROP_0001 = [
    "DROP TRIGGER IF EXISTS articles_fts_bd",
    "DROP TRIGGER IF EXISTS articles_fts_title",
    "DROP TRIGGER IF EXISTS passages_fts_au",
    "DROP TRIGGER IF EXISTS passages_fts_ad",
    "DROP TRIGGER IF EXISTS passages_fts_ai",
    "DROP TABLE IF EXISTS passages_fts",
    "DROP VIEW IF EXISTS passages_fts_source",
]

SQLITE_UP = [
    *SQLITE_DROP_0001,
    f"""CREATE VIRTUAL TABLE passages_fts USING fts5(
    text, content='passages', content_rowid='id', {TOKENIZE})""",
    """CREATE TRIGGER passages_fts_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER passages_fts_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER passages_fts_au AFTER UPDATE OF text ON passages BEGIN
    INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO passages_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    f"""CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, content='articles', content_rowid='id', {TOKENIZE})""",
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
    # Passages leave the text index before their article goes, also where foreign keys are off.
    """CREATE TRIGGER articles_fts_bd BEFORE DELETE ON articles BEGIN
    DELETE FROM passages WHERE article_id = old.id;
    END""",
    # A passage whose text changes leaves the ranking lists (until they are rebuilt), so a
    # list never vouches for words a passage no longer holds.
    """CREATE TRIGGER search_term_passages_text AFTER UPDATE OF text ON passages BEGIN
    DELETE FROM search_term_passages WHERE passage_id = new.id;
    END""",
    "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]

# 0001's objects, as they were.
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_term_passages_text",
    "DROP TRIGGER IF EXISTS articles_fts_bd",
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
    "DROP TRIGGER IF EXISTS passages_fts_au",
    "DROP TRIGGER IF EXISTS passages_fts_ad",
    "DROP TRIGGER IF EXISTS passages_fts_ai",
    "DROP TABLE IF EXISTS passages_fts",
    """CREATE VIEW passages_fts_source AS
    SELECT p.id AS id, a.title AS title, p.text AS text
    FROM passages AS p JOIN articles AS a ON a.id = p.article_id""",
    f"""CREATE VIRTUAL TABLE passages_fts USING fts5(
    title, text, content='passages_fts_source', content_rowid='id', {TOKENIZE})""",
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
    "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')",
]

CONFIG = "forumbot_english"
PG_UP = [
    "DROP TRIGGER IF EXISTS articles_title_tsv ON articles",
    "DROP FUNCTION IF EXISTS forumbot_articles_title_tsv()",
    f"""CREATE OR REPLACE FUNCTION forumbot_passages_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := to_tsvector('{CONFIG}', NEW.text);
        RETURN NEW;
    END $$""",
    "DROP TRIGGER IF EXISTS passages_tsv ON passages",
    """CREATE TRIGGER passages_tsv BEFORE INSERT OR UPDATE OF text ON passages
    FOR EACH ROW EXECUTE FUNCTION forumbot_passages_tsv()""",
    f"UPDATE passages SET search_vector = to_tsvector('{CONFIG}', text)",
    "ALTER TABLE articles ADD COLUMN search_vector tsvector",
    f"""CREATE FUNCTION forumbot_articles_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := to_tsvector('{CONFIG}', coalesce(NEW.title, ''));
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER articles_tsv BEFORE INSERT OR UPDATE OF title ON articles
    FOR EACH ROW EXECUTE FUNCTION forumbot_articles_tsv()""",
    f"UPDATE articles SET search_vector = to_tsvector('{CONFIG}', coalesce(title, ''))",
    """CREATE FUNCTION forumbot_search_term_passages_text() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM search_term_passages WHERE passage_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER search_term_passages_text AFTER UPDATE OF text ON passages
    FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
    EXECUTE FUNCTION forumbot_search_term_passages_text()""",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
    # ANALYZE keeps 10 x this many frequent lexemes: those get ranking lists.
    "ALTER TABLE passages ALTER COLUMN search_vector SET STATISTICS 500",
    "ANALYZE passages",
]

PG_TSV_0001 = (
    f"setweight(to_tsvector('{CONFIG}', coalesce({{title}}, '')), 'A')"
    f" || setweight(to_tsvector('{CONFIG}', {{text}}), 'B')"
)
PG_DOWN = [
    "DROP TRIGGER IF EXISTS search_term_passages_text ON passages",
    "DROP FUNCTION IF EXISTS forumbot_search_term_passages_text()",
    "ALTER TABLE passages ALTER COLUMN search_vector SET STATISTICS -1",
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "DROP TRIGGER IF EXISTS articles_tsv ON articles",
    "DROP FUNCTION IF EXISTS forumbot_articles_tsv()",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
    f"""CREATE OR REPLACE FUNCTION forumbot_passages_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := {
        PG_TSV_0001.format(
            title="(SELECT title FROM articles WHERE id = NEW.article_id)", text="NEW.text"
        )
    };
        RETURN NEW;
    END $$""",
    "DROP TRIGGER IF EXISTS passages_tsv ON passages",
    """CREATE TRIGGER passages_tsv BEFORE INSERT OR UPDATE OF text, article_id ON passages
    FOR EACH ROW EXECUTE FUNCTION forumbot_passages_tsv()""",
    f"""CREATE FUNCTION forumbot_articles_title_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE passages SET search_vector = {PG_TSV_0001.format(title="NEW.title", text="text")}
        WHERE article_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER articles_title_tsv AFTER UPDATE OF title ON articles
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION forumbot_articles_title_tsv()""",
    "UPDATE passages SET text = text",
]


def _statements(up: bool) -> list[str]:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return PG_UP if up else PG_DOWN
    raise NotImplementedError(f"full-text search is not implemented for {dialect}")


def upgrade() -> None:
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("max_passage_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
    )
    op.create_table(
        "search_term_passages",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("passage_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["passage_id"],
            ["passages.id"],
            name=op.f("fk_search_term_passages_passage_id_passages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term"],
            ["search_terms.term"],
            name=op.f("fk_search_term_passages_term_search_terms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term", "passage_id", name=op.f("pk_search_term_passages")),
    )
    op.create_index("ix_search_term_passages_term_score", "search_term_passages", ["term", "score"])
    op.create_index("ix_search_term_passages_passage_id", "search_term_passages", ["passage_id"])
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
    op.drop_index("ix_search_term_passages_passage_id", table_name="search_term_passages")
    op.drop_index("ix_search_term_passages_term_score", table_name="search_term_passages")
    op.drop_table("search_term_passages")
    op.drop_table("search_terms")
