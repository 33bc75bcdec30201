"""HTML pages: the article body, its title and byline, and reader comments.

Page furniture (navigation, scripts, styles, asides, headers/footers, forms, share bars...) is
removed before text is read. Comments are taken from WordPress-style markup: elements whose
class is exactly `comment` (li/article/div) inside `#comments`, `.commentlist`, `.comment-list`;
the author comes from `.comment-author` (`.fn`, `cite`) or a `cite`/`.fn` in the comment's meta.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from forumbot.domain.article import ParsedComment

from .errors import IngestError
from .textnorm import normalise_space, split_paragraphs

_DROP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "nav", "aside", "header", "footer", "form",
        "iframe", "svg", "button", "select", "input", "textarea", "label", "object", "embed",
        "canvas", "video", "audio", "map", "figcaption", "dialog", "menu",
    }
)  # fmt: skip
# Class/id words (split on - and _) that mark furniture inside an article container.
_FURNITURE_WORDS = frozenset(
    {
        "nav", "navigation", "navbar", "menu", "sidebar", "widget", "breadcrumb", "breadcrumbs",
        "share", "sharing", "social", "related", "advert", "advertisement", "ads", "ad",
        "cookie", "cookies", "newsletter", "subscribe", "promo", "masthead", "footer", "header",
        "byline", "meta", "skip", "screen", "sr", "toolbar", "pagination", "tags", "respond",
        "topbar", "login", "signin", "signup", "paywall", "popup", "modal", "kicker",
    }
)  # fmt: skip
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "blockquote", "pre", "ul", "ol", "li", "dl",
        "dt", "dd", "table", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br",
        "address", "center", "details", "summary", "figcaption", "caption", "tbody", "thead",
    }
)  # fmt: skip
_COMMENT_AREAS = ("comments", "commentlist", "comment-list", "comments-area", "respond")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_ANONYMOUS = frozenset({"anonymous", "anon", "guest", "unknown"})


@dataclass(slots=True)
class HtmlArticle:
    title: str | None
    author: str | None
    date: str | None
    source: str | None
    tags: list[str]
    paragraphs: list[str]
    comments: list[ParsedComment] = field(default_factory=list)


def parse_html(text: str) -> HtmlArticle:
    # lxml refuses str input that carries an XML encoding declaration (XHTML); the text is
    # already decoded, so the declaration is dropped.
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        raise IngestError("no text paragraphs found in the HTML body")
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(f"unreadable HTML ({exc})") from None
    for bad in _xpath(root, "//script|//style|//noscript|//template"):
        _drop(bad)
    for node in root.iter(etree.Comment, etree.ProcessingInstruction):
        _drop(node)
    meta = _meta(root)
    comments = _comments(root)
    container = _container(root)
    title = _title(root, container, meta)
    author = meta.get("author") or _byline(container) or _byline(root)
    date = meta.get("article:published_time") or _time(container)
    source = _canonical(root) or meta.get("og:url")
    tags = [t for t in meta.get_all("article:tag") if t]
    for node in _furniture(container):
        _drop(node)
    paragraphs = _paragraphs(container)
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    return HtmlArticle(
        title=title,
        author=_clean_author(author),
        date=_iso_date(date),
        source=source,
        tags=tags,
        paragraphs=paragraphs,
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
        key = node.get("property") or node.get("name")
        content = node.get("content")
        if key and content:
            meta.add(key, content)
    return meta


def _xpath(node: etree._Element, path: str) -> list[etree._Element]:
    """Elements selected by `path` (lxml types xpath results loosely)."""
    result = node.xpath(path)
    if not isinstance(result, list):
        return []
    return [found for found in result if isinstance(found, etree._Element)]


def _drop(node: etree._Element) -> None:
    """Remove `node` but keep its tail text (which belongs to the parent)."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail
    if tail and tail.strip():
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(node)


def _words(node: etree._Element) -> set[str]:
    raw = f"{node.get('class', '')} {node.get('id', '')}".lower()
    return set(raw.replace("_", " ").replace("-", " ").split())


def _classes(node: etree._Element) -> set[str]:
    return set(node.get("class", "").lower().split())


def _is_comment_area(node: etree._Element) -> bool:
    classes = _classes(node)
    return node.get("id", "").lower() in _COMMENT_AREAS or any(c in classes for c in _COMMENT_AREAS)


def _is_comment_item(node: etree._Element) -> bool:
    """li.comment / article.comment anywhere; div.comment only inside a comment area (a bare
    div.comment in an article body is more often an editor's note than a reader comment)."""
    if "comment" not in _classes(node):
        return False
    if node.tag in ("li", "article"):
        return True
    return node.tag == "div" and any(_is_comment_area(a) for a in node.iterancestors())


# -- comments -----------------------------------------------------------------------------------


def _comments(root: lxml_html.HtmlElement) -> list[ParsedComment]:
    """Collect comments in page order, then cut every comment area out of the page."""
    items = [node for node in root.iter() if _is_comment_item(node)]
    # An item inside another item is the same comment (li.comment > article.comment) unless a
    # list sits between them (a threaded reply in ol.children).
    items = [node for node in items if not _wrapped_in_item(node)]
    comments: list[ParsedComment] = []
    for node in items:
        author = _comment_author(node)
        text = "\n\n".join(_paragraphs(_comment_body(node)))
        if text:
            comments.append(ParsedComment(len(comments) + 1, text, author))
    areas = [node for node in root.iter() if _is_comment_area(node) or _is_comment_item(node)]
    for node in areas:
        if node.getparent() is not None and not any(a in areas for a in node.iterancestors()):
            _drop(node)
    return comments


def _wrapped_in_item(node: etree._Element) -> bool:
    for ancestor in node.iterancestors():
        if ancestor.tag in ("ol", "ul"):
            return False
        if _is_comment_item(ancestor):
            return True
    return False


def _comment_author(node: etree._Element) -> str | None:
    for path in (
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' comment-author ')]",
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]",
        ".//cite",
    ):
        for found in _xpath(node, path):
            if _inside_reply(found, node):
                continue
            named = _xpath(
                found, ".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]|.//cite"
            )
            name = _text_of(named[0] if named else found)
            for suffix in ("says:", "says", "said:", "wrote:"):
                if name.lower().endswith(suffix):
                    name = name[: -len(suffix)].strip()
            return _clean_author(name)
    return None


def _inside_reply(found: etree._Element, item: etree._Element) -> bool:
    """True when `found` belongs to a nested reply of `item` rather than to `item` itself."""
    for ancestor in found.iterancestors():
        if ancestor is item:
            return False
        if _is_comment_item(ancestor):
            return True
    return False


def _comment_body(node: etree._Element) -> etree._Element:
    copy = lxml_html.fromstring(etree.tostring(node, encoding="unicode"))
    for child in list(copy.iter()):
        if child is copy or child.getparent() is None:
            continue
        words = _words(child)
        if (
            _is_comment_item(child)
            or (child.tag in ("ol", "ul") and "children" in _classes(child))
            or words & {"author", "meta", "metadata", "commentmetadata", "reply", "says"}
            or child.tag in _DROP_TAGS
            or (child.tag in ("cite", "time") and not _in_prose(child, copy))
        ):
            _drop(child)
    return copy


def _in_prose(node: etree._Element, root: etree._Element) -> bool:
    """Inside a paragraph-like element below `root`: a <cite> or <time> there is comment text,
    elsewhere it is the comment's signature or timestamp."""
    for ancestor in node.iterancestors():
        if ancestor is root:
            return False
        if ancestor.tag in ("p", "blockquote", "li", "td", "pre"):
            return True
    return False


# -- article ------------------------------------------------------------------------------------


def _container(root: lxml_html.HtmlElement) -> etree._Element:
    """The element holding the article: the <article> (or main / entry-content) with the most
    text, never a furniture block; the <body> when nothing better exists."""
    candidates = _xpath(
        root,
        "//article|//main|//*[@role='main']|//*[@itemprop='articleBody']"
        "|//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]"
        "|//*[contains(concat(' ', normalize-space(@class), ' '), ' post-content ')]"
        "|//*[contains(concat(' ', normalize-space(@class), ' '), ' article-body ')]",
    )
    best: etree._Element | None = None
    best_len = 0
    for node in candidates:
        if node.tag in _DROP_TAGS or _in_furniture(node):
            continue
        size = sum(len(_text_of(p)) for p in _xpath(node, ".//p"))
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
    for para in root.iter("p"):
        if _in_furniture(para) or any(_words(a) & _FURNITURE_WORDS for a in para.iterancestors()):
            continue
        size = len(_text_of(para))
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


def _in_furniture(node: etree._Element) -> bool:
    for ancestor in node.iterancestors():
        if ancestor.tag in _DROP_TAGS or ancestor.get("role") in _FURNITURE_ROLES:
            return True
    return False


def _furniture(container: etree._Element) -> list[etree._Element]:
    found = []
    for node in container.iterdescendants():
        if not isinstance(node.tag, str):
            continue
        if (
            node.tag in _DROP_TAGS
            or node.get("role") in _FURNITURE_ROLES
            or node.get("hidden") is not None
            or node.get("aria-hidden") == "true"
            or _words(node) & _FURNITURE_WORDS
        ):
            found.append(node)
    return found


def _title(root: etree._Element, container: etree._Element, meta: _Meta) -> str | None:
    for path in (
        ".//h1",
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-title ')]",
    ):
        for node in _xpath(container, path):
            text = _text_of(node)
            if text:
                return text
    og = meta.get("og:title") or meta.get("twitter:title")
    if og:
        return og
    for node in root.iter("h1"):
        if not _in_furniture(node) and _text_of(node):
            return _text_of(node)
    title = root.find(".//title")
    return _text_of(title) if title is not None and _text_of(title) else None


def _byline(scope: etree._Element) -> str | None:
    nodes = _xpath(
        scope,
        ".//*[@rel='author']|.//*[@itemprop='author']"
        "|.//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ')]"
        "|.//*[contains(concat(' ', normalize-space(@class), ' '), ' author ')]"
        "|.//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-author ')]"
        "|.//*[contains(concat(' ', normalize-space(@class), ' '), ' post-author ')]",
    )
    for node in nodes:
        if any(_is_comment_item(a) or _is_comment_area(a) for a in node.iterancestors()):
            continue
        text = _text_of(node)
        if text:
            return text
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


def _clean_author(name: str | None) -> str | None:
    if not name:
        return None
    name = normalise_space(name)
    lowered = name.lower()
    if lowered.startswith("by "):
        name = name[3:].strip()
    if not name or name.lower() in _ANONYMOUS or name.startswith(("http://", "https://")):
        return None
    return name[:200]


def _text_of(node: etree._Element) -> str:
    return normalise_space(node.text_content()) if hasattr(node, "text_content") else ""


# -- paragraphs ---------------------------------------------------------------------------------


def _paragraphs(container: etree._Element) -> list[str]:
    """Paragraph texts in document order. Block elements end a paragraph; inline text between
    blocks forms paragraphs of its own; list items become one "- item" line each."""
    out: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        # Newlines in HTML source are just spaces.
        text = " ".join("".join(buffer).split())
        buffer.clear()
        if text:
            out.append(text)

    def walk(node: etree._Element) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _DROP_TAGS:
            if node.tail:
                buffer.append(node.tail)
            return
        if tag == "br":
            buffer.append(" ")
        elif tag == "pre":
            # Preformatted text keeps its blank-line paragraphs.
            flush()
            out.extend(
                split_paragraphs(node.text_content() if hasattr(node, "text_content") else "")
            )
        elif tag in ("ul", "ol"):
            flush()
            items = [_text_of(li) for li in node if getattr(li, "tag", None) == "li"]
            items = [item for item in items if item]
            if items:
                out.append("\n".join(f"- {item}" for item in items))
        elif tag in _BLOCK_TAGS:
            flush()
            if node.text:
                buffer.append(node.text)
            for child in node:
                walk(child)
            flush()
        else:
            if node.text:
                buffer.append(node.text)
            for child in node:
                walk(child)
        if node.tail:
            buffer.append(node.tail)

    if container.text:
        buffer.append(container.text)
    for child in container:
        walk(child)
    flush()
    return out
