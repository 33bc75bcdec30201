"""Feeds (RSS 0.9x-2.0, RSS 1.0, Atom, JSON Feed) -> entries, and an entry -> an HTML document
for the ingest pipeline. Pure code: no network, no Discord, no database."""

from .document import entry_document, needs_page
from .parse import FeedEntryData, FeedParseError, ParsedFeed, parse_feed

__all__ = [
    "FeedEntryData",
    "FeedParseError",
    "ParsedFeed",
    "entry_document",
    "needs_page",
    "parse_feed",
]
