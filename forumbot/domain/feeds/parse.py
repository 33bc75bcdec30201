"""Parse a feed with feedparser (RSS and Atom in all their versions, with its sanitiser and its
relative-link resolution); JSON Feed, which feedparser 6 does not read, is JSON (the standard
library's parser) whose fields are mapped here as the spec names them."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import feedparser

MAX_KEY_CHARS = 512
MAX_ENTRIES = 500  # a feed is a list of recent items; more is a dump, not a feed
_BARE_VERSION = re.compile(r"1(?:\.\d{1,2})?")


class FeedParseError(Exception):
    """Not a feed, or one that cannot be read; str() is a one-line reason."""


@dataclass(frozen=True, slots=True)
class FeedEntryData:
    key: str  # id/GUID, else link, else a digest of title and text
    link: str | None
    title: str | None
    author: str | None
    date: str | None  # ISO 8601 date
    content_html: str | None  # the full text, when the feed carries it
    summary_html: str | None  # a teaser or description
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    version: str  # "rss20", "atom10", "json11", ...
    entries: list[FeedEntryData]


def parse_feed(data: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Raises FeedParseError (only that) with a one-line reason."""
    if not data.strip():
        raise FeedParseError("empty answer (not a feed)")
    try:
        if _looks_like_json(data, content_type):
            return _json_feed(data, url)
        return _xml_feed(data, url, content_type)
    except FeedParseError:
        raise
    except Exception as exc:  # RecursionError, MemoryError, a parser bug: this feed's error
        raise FeedParseError(f"the feed could not be parsed ({type(exc).__name__})") from None


def _looks_like_json(data: bytes, content_type: str | None) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head in (b"{", b"[") or "json" in (content_type or "")


def _xml_feed(data: bytes, url: str, content_type: str | None) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    version = str(parsed.get("version") or "")
    entries = parsed.get("entries") or []
    if not version and not entries:
        reason = parsed.get("bozo_exception")
        detail = f": {_one_line(str(reason))[:120]}" if reason else ""
        raise FeedParseError(f"not an RSS, Atom or JSON feed{detail}")
    feed = parsed.get("feed") or {}
    return ParsedFeed(
        title=_text(feed.get("title")),
        version=version or "unknown",
        entries=[_xml_entry(e) for e in entries[:MAX_ENTRIES]],
    )


def _xml_entry(entry: Any) -> FeedEntryData:
    content = None
    for item in entry.get("content") or []:
        value = item.get("value")
        if value and (content is None or len(value) > len(content)):
            content = value if "html" in str(item.get("type", "")) else _escape_text(value)
    summary = entry.get("summary")
    if summary and summary == content:
        summary = None
    link = _url(entry.get("link"))
    guid = _text(entry.get("id"))
    title = _text(entry.get("title"))
    date = _date(entry.get("published_parsed") or entry.get("updated_parsed"))
    tags = tuple(t for t in (_text(x.get("term")) for x in entry.get("tags") or []) if t)
    return FeedEntryData(
        key=entry_key(guid, link, title, content or summary),
        link=link,
        title=title,
        author=_text(entry.get("author")),
        date=date,
        content_html=content,
        summary_html=summary,
        tags=tuple(dict.fromkeys(tags))[:20],
    )


def _json_feed(data: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedParseError(f"not a feed (invalid JSON: {_one_line(str(exc))[:80]})") from None
    version = doc.get("version") if isinstance(doc, dict) else None
    # The spec's version is a URL (https://jsonfeed.org/version/1.1); some publishers write
    # the bare number ("1.0", "1.1"), which gofeed accepts too.
    if not isinstance(version, str) or not (
        "jsonfeed.org/version/" in version or _BARE_VERSION.fullmatch(version.strip())
    ):
        raise FeedParseError("not a feed (JSON without a JSON Feed version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError("not a feed (JSON Feed without items)")
    base = _url(doc.get("home_page_url")) or url
    entries = []
    for item in items[:MAX_ENTRIES]:
        if not isinstance(item, dict):
            continue
        link = _url(item.get("url"))
        link = urljoin(base, link) if link else None
        guid = _text(item.get("id"))
        content = _text(item.get("content_html"))
        if content is None and _text(item.get("content_text")):
            content = _escape_text(str(item["content_text"]))
        summary = _text(item.get("summary"))
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = next(
            (_text(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")), None
        )
        tags = tuple(t for t in (_text(x) for x in item.get("tags") or []) if t)
        title = _text(item.get("title"))
        entries.append(
            FeedEntryData(
                key=entry_key(guid, link, title, content or summary),
                link=link,
                title=title,
                author=author,
                date=_iso_date(_text(item.get("date_published") or item.get("date_modified"))),
                content_html=content,
                summary_html=_escape_text(summary) if summary else None,
                tags=tuple(dict.fromkeys(tags))[:20],
            )
        )
    number = version.strip().rsplit("/", 1)[-1]
    return ParsedFeed(title=_text(doc.get("title")), version="json" + number, entries=entries)


def entry_key(guid: str | None, link: str | None, title: str | None, text: str | None) -> str:
    """The entry's identity across polls: its id/GUID, else its link, else a digest."""
    if guid:
        key = "id:" + guid
    elif link:
        key = "link:" + link
    else:
        digest = hashlib.sha256(f"{title or ''}\n{text or ''}".encode()).hexdigest()
        return "digest:" + digest
    if len(key) > MAX_KEY_CHARS:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        key = key[:200] + "…#" + digest
    return key


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text or None


def _url(value: Any) -> str | None:
    text = _text(value)
    return text if text and len(text) <= 2000 else None


def _escape_text(text: str) -> str:
    """Plain text as HTML paragraphs (a blank line separates them)."""
    import html

    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in parts)


def _date(value: Any) -> str | None:
    if not value:
        return None
    try:
        return time.strftime("%Y-%m-%d", time.gmtime(calendar.timegm(value)))
    except (TypeError, ValueError, OverflowError):
        return None


def _iso_date(value: str | None) -> str | None:
    if value and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())
