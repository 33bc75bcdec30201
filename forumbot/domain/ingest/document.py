"""parse_document: bytes of one file -> the articles it holds."""

from __future__ import annotations

import logging
from pathlib import PurePath

from forumbot.domain.article import FORUM_TAG_LIMIT, ParsedArticle, ParsedComment

from .bylines import byline_author
from .comments import split_comment_section, split_comments
from .errors import IngestError
from .forum import split_forum_thread
from .frontmatter import FrontMatter, split_front_matter
from .html import parse_html
from .markdown import MarkdownBody, parse_markdown
from .saved import saved_page_start
from .sections import attach_footnotes, section_headings
from .shapes import Item, Shape, split_items
from .textnorm import clean_title, slugify, split_paragraphs
from .validation import check_size, decode_text

TEXT_SUFFIXES = frozenset({".txt"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES: frozenset[str] = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES

log = logging.getLogger(__name__)


def parse_document(name: str, data: bytes, *, max_bytes: int) -> list[ParsedArticle]:
    """Parse one file. `name` is its file name or path (the suffix picks the format and the
    stem gives the article keys). Raises IngestError with a one-line reason on bad input, and
    only IngestError: whatever else goes wrong inside is this file's error too."""
    try:
        return _parse(name, data, max_bytes)
    except IngestError:
        raise
    except Exception as exc:  # RecursionError and MemoryError included
        # A parser bug or a limit hit on a hostile file: the file fails, nothing else does.
        log.warning("parsing %s failed: %r", display_name(name), exc)
        raise IngestError(f"the file could not be parsed ({type(exc).__name__})") from None


def display_name(name: str) -> str:
    """`name` as one printable line: control characters (a newline in a file name) and bytes
    that are not UTF-8 (kept by the OS as lone surrogates) shown as escapes."""
    encoded = name.encode("utf-8", "surrogateescape")
    text = encoded.decode("utf-8", "backslashreplace")
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _parse(name: str, data: bytes, max_bytes: int) -> list[ParsedArticle]:
    path = PurePath(name)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = display_name(suffix) or "(no suffix)"
        raise IngestError(
            f"unsupported file type {shown} (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    check_size(data, max_bytes)
    warnings: list[str] = []
    text = decode_text(data, warnings)
    stem = display_name(path.stem)  # keys and fallback titles are stored: valid UTF-8 only
    if suffix in HTML_SUFFIXES:
        return [_from_html(stem, text, warnings)]
    return _from_text(stem, suffix, text, warnings)


def _from_text(stem: str, suffix: str, text: str, warnings: list[str]) -> list[ParsedArticle]:
    """Plain text and Markdown: front matter, comment tail, then the page shape."""
    front = FrontMatter()
    heading: str | None = None
    sections = False
    markdown = MarkdownBody(text="")
    if suffix in MARKDOWN_SUFFIXES:
        front, text = split_front_matter(text, warnings)
        markdown = parse_markdown(text)
        text, heading, sections = markdown.text, markdown.title, markdown.sections
        if heading and front.title and heading != front.title:
            text = f"{heading}\n\n{text}"  # the heading is body text, not the title
            heading = None
    shape = front.shape if front.shape is None else _as_shape(front.shape)
    if shape is None and sections:
        # Markdown headings mark sections of one article, not entries of a digest.
        shape = "single"
    comments: list[ParsedComment] = []
    if shape is None and suffix in TEXT_SUFFIXES:
        thread = split_forum_thread(text)
        if thread is not None:  # a forum thread saved as text: first post + replies
            item = Item(thread.title, thread.paragraphs, thread.author, thread.comments)
            if item.title is None:
                item.title, item.paragraphs = item.paragraphs[0][:150], item.paragraphs
            return [_article(front.id or stem, item, front, warnings)]
    start = saved_page_start(text) if shape is None and suffix in TEXT_SUFFIXES else None
    if start is not None:  # a web page saved as text: navigation, title, byline, article
        text, heading, shape = start.text, start.title, "single"
    if shape in (None, "single", "essay"):
        section = split_comment_section(text)
        if section is not None:
            text, comments = section
        else:
            text, comments = split_comments(text)
    if comments:
        shape = "essay"
    shape, items = split_items(text, shape)
    items = [item for item in items if item.paragraphs]
    if not items:
        raise IngestError("no text paragraphs found")
    if len(items) == 1:
        item = items[0]
        item.comments = comments
        byline = byline_author(item.paragraphs[0]) if len(item.paragraphs) > 1 else None
        if start is not None:
            item.author = start.author
        elif byline:  # the line under the title names the author: not a passage
            item.author = item.author or byline
            item.paragraphs = item.paragraphs[1:]
        given = front.title or heading
        if given and item.title_from_body and item.title != given:
            item.paragraphs.insert(0, item.title or "")  # a headline, but not the title
        item.title = given or item.title
        return [_article(front.id or stem, item, front, warnings, markdown)]
    return _keyed_items(front.id or stem, items, front, warnings, markdown)


def _keyed_items(
    base: str,
    items: list[Item],
    front: FrontMatter,
    warnings: list[str],
    markdown: MarkdownBody | None = None,
) -> list[ParsedArticle]:
    """Items of a multi-item page, keyed `<base>#<slug of the title>` so that each keeps its
    identity when the page is edited or reordered."""
    used: set[str] = set()
    copies: dict[str, int] = {}  # the last suffix tried per slug: linear for repeated headlines
    articles = []
    for item in items:
        slug = base_slug = slugify(item.title or "item")
        copy = copies.get(base_slug, 1)
        while slug in used:  # the same headline twice: -2, -3...
            copy += 1
            slug = f"{base_slug}-{copy}"
        copies[base_slug] = copy
        used.add(slug)
        articles.append(_article(f"{base}#{slug}", item, front, warnings, markdown))
    return articles


def _as_shape(value: str) -> Shape:
    if value == "single":
        return "single"
    if value == "essay":
        return "essay"
    if value == "digest":
        return "digest"
    return "blog"


def _article(
    key: str,
    item: Item,
    front: FrontMatter,
    warnings: list[str],
    markdown: MarkdownBody | None = None,
) -> ParsedArticle:
    own = list(warnings)
    title = clean_title(item.title or "", own) or _fallback_title(key)
    paragraphs: list[str] = list(item.paragraphs)
    headings: list[str | None] = []
    if markdown is not None and markdown.headings:
        paragraphs, headings = section_headings(paragraphs, markdown.headings, own)
    if markdown is not None and markdown.footnotes:
        paragraphs = attach_footnotes(paragraphs, markdown.footnotes, own)
    if not paragraphs:
        raise IngestError("no text paragraphs found (only headings)")
    if len(front.tags) > FORUM_TAG_LIMIT:
        extra = ", ".join(repr(t) for t in front.tags[FORUM_TAG_LIMIT:][:5])
        more = len(front.tags) - FORUM_TAG_LIMIT
        own.append(
            f"{len(front.tags)} tags: a forum post takes {FORUM_TAG_LIMIT}, so {extra}"
            f"{f' and {more - 5} more' if more > 5 else ''} will not be applied on the forum"
            " (still stored and searchable with tag:)"
        )
    return ParsedArticle(
        key=key,
        title=title,
        paragraphs=tuple(paragraphs),
        headings=tuple(headings) if any(headings) else (),
        author=item.author or front.author,
        date=front.date,
        source=front.source,
        tags=front.tags,
        comments=tuple(item.comments),
        warnings=tuple(own),
    )


def _fallback_title(key: str) -> str:
    return key.rsplit("#", 1)[0].replace("_", " ").strip() or "Untitled"


def _from_html(stem: str, text: str, warnings: list[str]) -> ParsedArticle:
    page = parse_html(text, warnings)
    paragraphs = [p for raw in page.paragraphs for p in split_paragraphs(raw)]
    if not paragraphs:
        raise IngestError("no text paragraphs found in the HTML body")
    item = Item(page.title, paragraphs, page.author, page.comments)
    front = FrontMatter(date=page.date, source=page.source, tags=tuple(dict.fromkeys(page.tags)))
    return _article(stem, item, front, warnings)
