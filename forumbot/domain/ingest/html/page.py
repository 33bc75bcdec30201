"""HTML pages: the article body, its title, byline, date, tags, and reader comments.

Reader comments are read first and cut out of the page (`comments`), so they can never reach
the body. The body comes from trafilatura (`body`). Title, author and date are our own steps
around it, measured better than trafilatura's on the benchmark pages (bench/bench_extract.py):
titles lose their site name (`title`); the author comes from meta tags, JSON-LD (`jsonld`),
then byline markup, cleaned to a bare name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from forumbot.domain.article import ParsedComment
from forumbot.domain.ingest.textnorm import normalise_space

from .body import TOO_LARGE_WARNING, extract_body, too_large
from .comments import comments as read_comments
from .jsonld import jsonld_article
from .parse import load_html
from .title import page_title
from .tree import (
    clean_author,
    drop,
    in_furniture,
    is_box_heading,
    is_comment_area,
    is_comment_item,
    paragraphs,
    text_of,
    xpath,
)


@dataclass(slots=True)
class HtmlArticle:
    title: str | None
    author: str | None
    date: str | None
    source: str | None
    tags: list[str]
    paragraphs: list[str]
    comments: list[ParsedComment] = field(default_factory=list)


def parse_html(text: str, warnings: list[str] | None = None) -> HtmlArticle:
    warnings = warnings if warnings is not None else []
    root = load_html(text, warnings)
    declared = jsonld_article(root)  # read before scripts go
    # iter() filters by tag in C: a third of the CPU of the same XPath union
    for bad in list(root.iter("script", "style", "noscript", "template")):
        drop(bad)
    for node in root.iter(etree.Comment, etree.ProcessingInstruction):
        drop(node)
    meta = _meta(root)
    if too_large(root):
        # Far larger than any real article page: only what one linear pass can read.
        warnings.append(TOO_LARGE_WARNING)
        body_element = root.find("body")
        title = _title(root, None, meta)
        return HtmlArticle(
            title=title,
            author=clean_author(meta.get("author")) or clean_author(declared.author),
            date=_iso_date(meta.get("article:published_time") or declared.date),
            source=_canonical(root) or meta.get("og:url"),
            tags=[t for t in meta.get_all("article:tag") if t],
            paragraphs=paragraphs(body_element if body_element is not None else root),
        )
    comments = read_comments(root)  # also cuts the comment areas out of the page
    scope = _article_scope(root)
    title = _title(root, scope, meta)
    author = (
        clean_author(meta.get("author"))
        or clean_author(meta.get("dc:creator") or meta.get("dc.creator"))
        or clean_author(declared.author)
        or (_byline(scope) if scope is not None else None)
        or _byline(root)
    )
    date = (
        meta.get("article:published_time")
        or declared.date
        or _time(scope if scope is not None else root)
        or meta.get("date")
        or meta.get("dc.date")
    )
    source = _canonical(root) or meta.get("og:url")
    tags = [t for t in meta.get_all("article:tag") if t]
    body = extract_body(root)
    if body and title and body[0] == title:
        body = body[1:]
    return HtmlArticle(
        title=title,
        author=clean_author(author),
        date=_iso_date(date),
        source=source,
        tags=tags,
        paragraphs=body,
        comments=comments,
    )


def _iso_date(value: str | None) -> str | None:
    """YYYY-MM-DD from an ISO timestamp such as 2019-03-14T09:12:00+00:00, else None."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None


class _Meta:
    def __init__(self) -> None:
        self._values: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        self._values.setdefault(key.lower(), []).append(normalise_space(value))

    def get(self, key: str) -> str | None:
        values = self._values.get(key)
        return values[0] if values and values[0] else None

    def get_all(self, key: str) -> list[str]:
        return self._values.get(key, [])


def _meta(root: lxml_html.HtmlElement) -> _Meta:
    meta = _Meta()
    for node in root.iter("meta"):
        content = node.get("content")
        if not content:
            continue
        # RDFa allows several properties in one attribute: property="og:title twitter:title".
        for key in (node.get("property") or "").split() or [node.get("name") or ""]:
            if key:
                meta.add(key, content)
    return meta


_PARAGRAPH_TEXT = etree.XPath(".//p//text()", smart_strings=False)
_CLASS = "contains(concat(' ', normalize-space(.), ' '), ' {} ')"
# Attribute-axis steps, pre-filtered on a cheap substring: the same elements as
# `//*[contains(concat(' ', normalize-space(@class), ' '), ...)]` at a quarter of the CPU.
_SCOPE_CLASSES = ("entry-content", "post-content", "article-body")
_SCOPES = etree.XPath(
    "//article|//main|//@role[. = 'main']/..|//@itemprop[. = 'articleBody']/.."
    "|//@class[contains(., '-content') or contains(., 'article-body')]"
    f"[{' or '.join(_CLASS.format(c) for c in _SCOPE_CLASSES)}]/.."
)


def _article_scope(root: lxml_html.HtmlElement) -> etree._Element | None:
    """Where the headline and byline sit: the <article> (or main / entry-content block) whose
    paragraphs hold the most text, never one inside navigation, headers or asides."""
    found = _SCOPES(root)
    candidates = (
        [n for n in found if isinstance(n, etree._Element)] if isinstance(found, list) else []
    )
    best: etree._Element | None = None
    best_len = 0
    for node in candidates:
        if in_furniture(node):
            continue
        texts = _PARAGRAPH_TEXT(node)
        size = sum(len(t) for t in texts if isinstance(t, str)) if isinstance(texts, list) else 0
        # Prefer the outer <article> (it holds the title and byline) when sizes tie.
        if size > best_len:
            best, best_len = node, size
    return best


def _title(root: etree._Element, scope: etree._Element | None, meta: _Meta) -> str | None:
    if scope is not None:
        for path in (
            ".//h1",
            ".//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-title ')]",
        ):
            for node in xpath(scope, path):
                text = text_of(node)
                if text:
                    return text
    site = meta.get("og:site_name") or meta.get("application-name")
    headings = [text_of(node) for node in xpath(root, "//h1|//h2|//h3")]
    og = meta.get("og:title") or meta.get("twitter:title")
    if og:
        return page_title(og, site, headings)
    for node in root.iter("h1"):
        if not in_furniture(node) and text_of(node):
            return text_of(node)
    title = root.find(".//title")
    if title is None or not text_of(title):
        return None
    return page_title(text_of(title), site, headings)


# Byline candidates in one pass (attribute-axis steps, below the scope only): rel/itemprop
# author, and every class containing "yline" or "uthor" ("Byline" and "byline" without
# lower-casing every class of the page). Three XPath walks per tier cost ~2 ms a page.
_BYLINE_CANDIDATES = etree.XPath(
    ".//*/@rel[. = 'author']/.. | .//*/@itemprop[. = 'author']/.."
    " | .//*/@class[contains(., 'yline') or contains(., 'uthor')]/.."
)
_BYLINE_TOKENS = frozenset({"byline", "author", "entry-author", "post-author"})


def _byline_tier(node: etree._Element) -> int:
    if node.get("rel") == "author" or node.get("itemprop") == "author":
        return 0
    return 1 if _BYLINE_TOKENS.intersection(node.get("class", "").split()) else 2


def _byline(scope: etree._Element) -> str | None:
    """The first byline-like element whose text cleans up to a name, most specific markup
    first: rel/itemprop author, then author/byline class tokens, then classes that merely
    contain "byline" (FeatureByline, article-byline) or "author" (article-author)."""
    found = _BYLINE_CANDIDATES(scope)
    nodes = [n for n in found if isinstance(n, etree._Element)] if isinstance(found, list) else []
    tiers = [_byline_tier(node) for node in nodes]
    for tier in range(3):
        for node, node_tier in zip(nodes, tiers, strict=True):
            # a tier-2 class also matches tier 3 (its token holds "yline"/"uthor")
            if node_tier > tier or (tier < 2 and node_tier != tier):
                continue
            if any(is_comment_item(a) or is_comment_area(a) for a in node.iterancestors()):
                continue
            name = clean_author(text_of(node))
            if name and not is_box_heading(name):
                return name
    return None


def _time(scope: etree._Element) -> str | None:
    for node in scope.iter("time"):
        value = node.get("datetime")
        if value:
            return value.strip()
    return None


def _canonical(root: etree._Element) -> str | None:
    for node in root.iter("link"):
        if "canonical" in node.get("rel", "").lower().split() and node.get("href"):
            return node.get("href", "").strip() or None
    return None
