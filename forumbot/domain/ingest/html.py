"""HTML pages: the article body, its title, byline, date, tags, and reader comments.

Comments are read first and cut out of the page (see `htmlcomments`). The article container is
the largest <article>/<main>/entry-content block, else the element whose paragraphs hold the
most text. Page furniture (navigation, scripts, styles, asides, headers/footers, forms, share
bars, hidden elements, unmarked boxes of links...) is removed from it before its text is read.
Titles lose their site name (`htmltitle`); the author comes from meta tags, JSON-LD
(`htmljsonld`), then byline markup, cleaned to a bare name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from forumbot.domain.article import ParsedComment

from .htmlcomments import comments as read_comments
from .htmljsonld import jsonld_article
from .htmllinks import is_permalink_mark, link_boxes
from .htmlparse import load_html
from .htmltitle import page_title
from .htmltree import (
    DROP_TAGS,
    clean_author,
    drop,
    furniture_elements,
    in_furniture,
    is_box_heading,
    is_comment_area,
    is_comment_item,
    is_furniture,
    text_of,
    xpath,
)
from .htmltree import paragraphs as read_paragraphs
from .textnorm import normalise_space


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
    root = load_html(text, warnings if warnings is not None else [])
    declared = jsonld_article(root)  # read before scripts go
    for bad in xpath(root, "//script|//style|//noscript|//template"):
        drop(bad)
    for node in root.iter(etree.Comment, etree.ProcessingInstruction):
        drop(node)
    meta = _meta(root)
    comments = read_comments(root)
    container = _container(root)
    title = _title(root, container, meta)
    author = (
        clean_author(meta.get("author"))
        or clean_author(meta.get("dc:creator") or meta.get("dc.creator"))
        or clean_author(declared.author)
        or _byline(container)
        or _byline(root)
    )
    date = (
        meta.get("article:published_time")
        or declared.date
        or _time(container)
        or meta.get("date")
        or meta.get("dc.date")
    )
    source = _canonical(root) or meta.get("og:url")
    tags = [t for t in meta.get_all("article:tag") if t]
    for node in _furniture(container):
        if node.getparent() is not None:  # not already gone with an enclosing block
            drop(node)
    body = read_paragraphs(container)
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


def _container(root: lxml_html.HtmlElement) -> etree._Element:
    """The element holding the article: the <article> (or main / entry-content) with the most
    text, never a furniture block; the <body> when nothing better exists."""
    candidates = xpath(
        root,
        "//article|//main|//*[@role='main']|//*[@itemprop='articleBody']"
        "|//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]"
        "|//*[contains(concat(' ', normalize-space(@class), ' '), ' post-content ')]"
        "|//*[contains(concat(' ', normalize-space(@class), ' '), ' article-body ')]",
    )
    best: etree._Element | None = None
    best_len = 0
    for node in candidates:
        if node.tag in DROP_TAGS or in_furniture(node):
            continue
        size = sum(len(text_of(p)) for p in xpath(node, ".//p"))
        # Prefer the outer <article> (it holds the title and byline) when sizes tie.
        if size > best_len:
            best, best_len = node, size
    if best is not None:
        return best
    return _densest(root)


def _densest(root: etree._Element) -> etree._Element:
    """Without semantic markup: the element whose paragraphs hold the most text (a paragraph
    counts fully for its parent and half for its grandparent, so a body split by an ad box
    still wins over any single box)."""
    scores: dict[etree._Element, float] = {}
    furniture = furniture_elements(root)
    for para in root.iter("p"):
        if para in furniture:
            continue
        size = len(text_of(para))
        parent = para.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + size
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] = scores.get(grandparent, 0.0) + size / 2
    if scores:
        return max(scores, key=lambda node: scores[node])
    body = root.find("body")
    return body if body is not None else root


def _furniture(container: etree._Element) -> list[etree._Element]:
    found = []
    for node in container.iterdescendants():
        if not isinstance(node.tag, str):
            continue
        if (
            is_furniture(node)
            or node.get("hidden") is not None
            or node.get("aria-hidden") == "true"
            or is_permalink_mark(node)
        ):
            found.append(node)
    return found + link_boxes(container)


def _title(root: etree._Element, container: etree._Element, meta: _Meta) -> str | None:
    for path in (
        ".//h1",
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-title ')]",
    ):
        for node in xpath(container, path):
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


_LOWER = "translate(@class, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


def _byline(scope: etree._Element) -> str | None:
    """The first byline-like element whose text cleans up to a name, most specific markup
    first: rel/itemprop author, then author/byline class tokens, then classes that merely
    contain "byline" (FeatureByline, article-byline) or "author" (article-author)."""
    for path in (
        ".//*[@rel='author']|.//*[@itemprop='author']",
        "|".join(
            f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {token} ')]"
            for token in ("byline", "author", "entry-author", "post-author")
        ),
        f".//*[contains({_LOWER}, 'byline')]|.//*[contains({_LOWER}, 'author')]",
    ):
        for node in xpath(scope, path):
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
