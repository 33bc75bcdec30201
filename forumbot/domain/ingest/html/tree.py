"""lxml helpers shared by the HTML readers (comments, title, byline): element tests, author
cleaning, and the walk that turns a comment into paragraphs."""

from __future__ import annotations

import re

from lxml import etree

from forumbot.domain.ingest.textnorm import (
    MONTH_PATTERN,
    join_lines,
    normalise_space,
    split_paragraphs,
)

DROP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "nav", "aside", "header", "footer", "form",
        "iframe", "svg", "button", "select", "input", "textarea", "label", "object", "embed",
        "canvas", "video", "audio", "map", "figcaption", "dialog", "menu",
    }
)  # fmt: skip
FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})


BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "blockquote", "pre", "ul", "ol", "li", "dl",
        "dt", "dd", "table", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br",
        "address", "center", "details", "summary", "figcaption", "caption", "tbody", "thead",
    }
)  # fmt: skip


COMMENT_AREAS = (
    "comments",
    "commentlist",
    "comment-list",
    "comments-list",
    "comments-area",
    "respond",
)


ANONYMOUS = frozenset({"anonymous", "anon", "guest", "unknown"})


MAX_NAME_WORDS = 10
MAX_BYLINE_CHARS = 300
_BYLINE_LEAD = re.compile(
    r"\A(?:(?:posted|written|words|story|text|reported|published)\s+)?by\s*:?\s+|\Aauthor\s*:\s*",
    re.IGNORECASE,
)
_CONTACT = re.compile(r"\s*[(<]\s*(?:https?://|mailto:|[^()<>\s]+@)[^()<>]*[)>]")
# "Nathan Willis March 25, 2015", "… on 12 May 2019", "… 2019-05-12", "… Tuesday, 3 June".
_TRAILING_DATE = re.compile(
    r"[\s,|·•—–-]+(?:on\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    rf"(?:{MONTH_PATTERN}\s+\d{{1,2}}\b|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH_PATTERN}(?:\s|$)|\d{{1,4}}[-/.]\d{{1,2}}[-/.]\d{{1,4}}\b|\d{{4}}\b).*\Z",
    re.IGNORECASE,
)
# Headings of author boxes and comment counters that sit where bylines do.
_NOT_A_NAME = re.compile(
    r"\b(?:about|authors?|posted|written|comments?|responses?|replies)\b", re.IGNORECASE
)
_DANGLING = " \t|·•—–-,;:/"


def xpath(node: etree._Element, path: str) -> list[etree._Element]:
    """Elements selected by `path` (lxml types xpath results loosely)."""
    result = node.xpath(path)
    if not isinstance(result, list):
        return []
    return [found for found in result if isinstance(found, etree._Element)]


def drop(node: etree._Element) -> None:
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


def words(node: etree._Element) -> set[str]:
    raw = f"{node.get('class', '')} {node.get('id', '')}".lower()
    return set(raw.replace("_", " ").replace("-", " ").split())


def classes(node: etree._Element) -> set[str]:
    return set(node.get("class", "").lower().split())


def is_comment_area(node: etree._Element) -> bool:
    names = classes(node)
    return node.get("id", "").lower() in COMMENT_AREAS or any(c in names for c in COMMENT_AREAS)


_COMMENT_ID = re.compile(r"(?:li-|div-)?comment-?(\d+)", re.IGNORECASE)


def comment_number(node: etree._Element) -> str | None:
    """The number in a comment id such as comment-123 / div-comment-123 / li-comment-123,
    which WordPress and most comment plugins give every comment."""
    if not isinstance(node.tag, str):
        return None  # comments and processing instructions have no attributes
    match = _COMMENT_ID.fullmatch((node.get("id") or "").strip())
    return match.group(1) if match else None


# Class names of one comment (WordPress, Douban-style and hand-made comment lists).
COMMENT_ITEM_CLASSES = frozenset({"comment", "comment-item", "comment-entry", "single-comment"})


def is_comment_item(node: etree._Element) -> bool:
    """li.comment / article.comment / any element with a numbered comment id / a list item of
    a comment list (ul.comment-list > li); div.comment only inside a comment area (a bare
    div.comment in an article body is more often an editor's note than a reader comment)."""
    if comment_number(node) is not None:
        return True
    parent = node.getparent()
    if node.tag == "li" and parent is not None and is_comment_area(parent):
        return True
    if not classes(node) & COMMENT_ITEM_CLASSES:
        return False
    if node.tag in ("li", "article"):
        return True
    return node.tag == "div" and any(is_comment_area(a) for a in node.iterancestors())


def in_furniture(node: etree._Element) -> bool:
    for ancestor in node.iterancestors():
        if ancestor.tag in DROP_TAGS or ancestor.get("role") in FURNITURE_ROLES:
            return True
    return False


def is_box_heading(name: str) -> bool:
    """ "About the author", "13 comments": text of author boxes and counters found where
    byline markup is guessed from class names (declared metadata is trusted as it is)."""
    return _NOT_A_NAME.search(name) is not None


def clean_author(name: str | None) -> str | None:
    """A person's name from a byline: without "By"/"Posted by", a trailing date, a
    parenthesised URL or e-mail, or dangling separators. None for anonymous names, URLs, and
    text too long to be a name (a paragraph that merely mentions an author)."""
    if not name:
        return None
    name = " ".join(name.split())
    if len(name) > MAX_BYLINE_CHARS:
        return None  # a paragraph, not a byline (and keeps the patterns below cheap)
    name = _BYLINE_LEAD.sub("", name)
    name = _CONTACT.sub("", name)
    name = _TRAILING_DATE.sub("", name)
    name = name.strip(_DANGLING).strip()
    if not name or name.lower() in ANONYMOUS or name.startswith(("http://", "https://")):
        return None
    if len(name.split()) > MAX_NAME_WORDS:
        return None
    if not any(ch.isalpha() for ch in name):
        return None  # "—", "13": what was left of a byline without a name
    return name[:200]


def text_of(node: etree._Element) -> str:
    return normalise_space(node.text_content()) if hasattr(node, "text_content") else ""


# Stands for a <br> in the paragraph walk's buffer (decoded text never holds NUL).
_BR = "\x00"
_BR_RUN = re.compile(r"\x00\s*(?:\x00\s*)+")


def _br_paragraphs(raw: str) -> list[str]:
    """Paragraphs of inline text. Newlines in HTML source are just spaces; two or more <br>
    in a row end a paragraph (older pages have no <p>), and after a single <br> a list line
    ("- x", "+ x", "1. x") keeps a line of its own while other lines join with a space."""
    if _BR not in raw:
        text = " ".join(raw.split())
        return [text] if text else []
    found = []
    for chunk in _BR_RUN.split(raw):
        text = join_lines([" ".join(line.split()) for line in chunk.split(_BR)])
        if text:
            found.append(text)
    return found


def paragraphs(container: etree._Element) -> list[str]:
    """Paragraph texts in document order. Block elements end a paragraph; inline text between
    blocks forms paragraphs of its own; list items become one "- item" line each.

    One iterwalk pass: no recursion (deep pages cannot exhaust Python's recursion limit) and no
    list of an element's children (a body of 500,000 paragraphs would hold them all at once)."""
    out: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        raw = "".join(buffer)
        buffer.clear()
        out.extend(_br_paragraphs(raw))

    walker = etree.iterwalk(container, events=("start", "end"))
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else None
        if node is container:
            if event == "start" and node.text:
                buffer.append(node.text)
            continue
        if event == "end":
            # Reached for every element, skipped subtrees included: its tail follows it.
            if tag in BLOCK_TAGS:
                flush()
            if node.tail:
                buffer.append(node.tail)
            continue
        if tag is None or tag in DROP_TAGS:
            walker.skip_subtree()  # comments, processing instructions, furniture: no text
        elif tag == "br":
            buffer.append(_BR)
        elif tag == "pre":
            # Preformatted text keeps its blank-line paragraphs.
            flush()
            out.extend(
                split_paragraphs(node.text_content() if hasattr(node, "text_content") else "")
            )
            walker.skip_subtree()
        elif tag in ("ul", "ol"):
            flush()
            items = [text_of(li) for li in node if getattr(li, "tag", None) == "li"]
            items = [item for item in items if item]
            if items:
                out.append("\n".join(f"- {item}" for item in items))
            walker.skip_subtree()
        else:
            if tag in BLOCK_TAGS:
                flush()
            if node.text:
                buffer.append(node.text)
    flush()
    return out
