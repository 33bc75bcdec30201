"""What ingest produces and storage consumes: an article parsed from a document."""

from __future__ import annotations

from dataclasses import dataclass, field

# A forum post takes at most this many tags (Discord's limit); more are stored, not applied.
FORUM_TAG_LIMIT = 5


@dataclass(frozen=True, slots=True)
class ParsedComment:
    """A reader comment imported with its article (position counts from 1)."""

    position: int
    text: str
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One archive item. A file may yield several (a blog page's posts, a digest's entries).

    `key` identifies the item across loads, so that an edited file makes a new revision of the
    same article rather than a new article.
    """

    key: str
    title: str
    paragraphs: tuple[str, ...]
    author: str | None = None
    date: str | None = None  # ISO 8601 date, when known
    source: str | None = None  # URL or file path it came from
    tags: tuple[str, ...] = ()
    comments: tuple[ParsedComment, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # The section heading each paragraph sits under (Markdown `##` headings), aligned with
    # `paragraphs`; empty when the document has no section headings.
    headings: tuple[str | None, ...] = ()

    def heading_of(self, index: int) -> str | None:
        return self.headings[index] if index < len(self.headings) else None
