"""Search (SQLite): an index of adjacent word pairs, for phrases of common words.

A phrase of common words ("as to the") made FTS5 read the positions of every passage holding
all its words (at a million passages the whole slow tail of search). `passage_pairs` indexes
each passage's adjacent token pairs as single tokens ("as_to to_the"): the same phrase is then
the pair phrase "as_to to_the", whose doclists are a small share of its words'.

The pairs are made in Python (forumbot.storage.search.pairs.refresh_pairs, after every load):
SQL cannot tokenize. Triggers only note what changed: passages to index in
`passage_pairs_pending`, and the text of indexed passages deleted or rewritten in
`passage_pairs_gone` (the table is contentless, so removing a row's pairs needs its old text).
Searches use the pairs only when both are empty. This migration marks every passage pending;
the next load (or `forumbot` search-index repair) indexes them, about a minute per 200k
passages. PostgreSQL: nothing (its own index answers phrases).

Revision ID: 0016_search_pairs
Revises: 0015_web_speed
"""

from __future__ import annotations

from alembic import op

revision = "0016_search_pairs"
down_revision = "0015_web_speed"
branch_labels = None
depends_on = None

SQLITE_UP = [
    # Tokens are [a-z0-9] runs and other letters joined by '_', already folded and stemmed.
    """CREATE VIRTUAL TABLE passage_pairs USING fts5(
    pairs, content='', tokenize="ascii tokenchars '_'")""",
    "CREATE TABLE passage_pairs_pending (passage_id INTEGER PRIMARY KEY)",
    """CREATE TABLE passage_pairs_gone (
    id INTEGER PRIMARY KEY, passage_id INTEGER NOT NULL, text TEXT NOT NULL)""",
    """CREATE TRIGGER passage_pairs_ai AFTER INSERT ON passages BEGIN
    INSERT OR IGNORE INTO passage_pairs_pending (passage_id) VALUES (new.id);
    END""",
    # A passage still pending was never indexed: nothing to take out of the index.
    """CREATE TRIGGER passage_pairs_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passage_pairs_gone (passage_id, text) SELECT old.id, old.text
    WHERE NOT EXISTS (SELECT 1 FROM passage_pairs_pending WHERE passage_id = old.id);
    DELETE FROM passage_pairs_pending WHERE passage_id = old.id;
    END""",
    """CREATE TRIGGER passage_pairs_au AFTER UPDATE OF text ON passages
    WHEN old.text IS NOT new.text BEGIN
    INSERT INTO passage_pairs_gone (passage_id, text) SELECT old.id, old.text
    WHERE NOT EXISTS (SELECT 1 FROM passage_pairs_pending WHERE passage_id = old.id);
    INSERT OR IGNORE INTO passage_pairs_pending (passage_id) VALUES (new.id);
    END""",
    "INSERT INTO passage_pairs_pending (passage_id) SELECT id FROM passages",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS passage_pairs_au",
    "DROP TRIGGER IF EXISTS passage_pairs_ad",
    "DROP TRIGGER IF EXISTS passage_pairs_ai",
    "DROP TABLE IF EXISTS passage_pairs_gone",
    "DROP TABLE IF EXISTS passage_pairs_pending",
    "DROP TABLE IF EXISTS passage_pairs",
    # Pair ranking lists (terms holding '_', which no word token does).
    "DELETE FROM search_term_passages WHERE term LIKE '%\\_%' ESCAPE '\\'",
    "DELETE FROM search_terms WHERE term LIKE '%\\_%' ESCAPE '\\'",
]


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
