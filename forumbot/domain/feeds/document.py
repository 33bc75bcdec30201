"""A feed entry as an HTML document for the ingest pipeline (so entries get the same parsing
and limits as files), and whether its own page is worth fetching instead."""

from __future__ import annotations

import html
import re

from .parse import FeedEntryData

# An entry whose text is shorter than this (or that has only a summary) is a teaser: its page
# holds the article.
FULL_TEXT_CHARS = 600
_TAG = re.compile(r"<[^>]+>")


def text_length(markup: str | None) -> int:
    return len(" ".join(html.unescape(_TAG.sub(" ", markup or "")).split()))


def needs_page(entry: FeedEntryData) -> bool:
    """True when the feed carries a teaser and the entry links to its page."""
    if not entry.link or not entry.link.lower().startswith(("http://", "https://")):
        return False
    return text_length(entry.content_html) < FULL_TEXT_CHARS


def entry_document(entry: FeedEntryData, *, feed_title: str | None = None) -> bytes | None:
    """The entry's own text as a small HTML page (title, author, date, canonical link, tags),
    or None when it has no text at all."""
    body = entry.content_html or entry.summary_html
    if not body or not text_length(body):
        return None
    head = [f"<title>{html.escape(entry.title or feed_title or 'Untitled')}</title>"]
    if entry.author:
        head.append(f'<meta name="author" content="{html.escape(entry.author, quote=True)}">')
    if entry.date:
        head.append(f'<meta property="article:published_time" content="{html.escape(entry.date)}">')
    if entry.link:
        head.append(f'<link rel="canonical" href="{html.escape(entry.link, quote=True)}">')
    for tag in entry.tags[:10]:
        head.append(f'<meta property="article:tag" content="{html.escape(tag, quote=True)}">')
    title = f"<h1>{html.escape(entry.title)}</h1>" if entry.title else ""
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        + "".join(head)
        + f"</head><body><article>{title}{body}</article></body></html>"
    )
    return page.encode("utf-8")
