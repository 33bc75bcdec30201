"""Ranking lists for frequent search terms (migration 0004).

A word found in thousands of passages cannot be ranked by scoring every match within a search's
time budget (bm25 / ts_rank score each one). For each such term, `refresh_term_lists` stores its
best passages by the engine's own relevance score, computed once; a search then reads them in
score order, like the "champion lists" of the IR literature. `term` is the engine's indexed
form (FTS5 porter token, PostgreSQL lexeme). Passages added after a list was built are scored
at search time (`max_passage_id`); a list is rebuilt once its term's match count has grown.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from forumbot.storage.models.base import Base


class SearchTerm(Base):
    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    matches: Mapped[int] = mapped_column(Integer)  # passages holding the term at build time
    max_passage_id: Mapped[int] = mapped_column(Integer)  # passages above were not scored


class SearchTermPassage(Base):
    __tablename__ = "search_term_passages"

    term: Mapped[str] = mapped_column(
        ForeignKey("search_terms.term", ondelete="CASCADE"), primary_key=True
    )
    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passages.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float)  # higher is better

    __table_args__ = (
        Index("ix_search_term_passages_term_score", "term", "score"),
        Index("ix_search_term_passages_passage_id", "passage_id"),
    )
