"""lxml helpers shared by the HTML readers: furniture vocabulary, element tests, and the
walk that turns an element into paragraphs."""

from __future__ import annotations

from lxml import etree

from .textnorm import normalise_space, split_paragraphs

DROP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "nav", "aside", "header", "footer", "form",
        "iframe", "svg", "button", "select", "input", "textarea", "label", "object", "embed",
        "canvas", "video", "audio", "map", "figcaption", "dialog", "menu",
    }
)  # fmt: skip
# Class/id words (split on - and _) that mark furniture inside an article container.


FURNITURE_WORDS = frozenset(
    {
        "nav", "navigation", "navbar", "menu", "sidebar", "widget", "breadcrumb", "breadcrumbs",
        "share", "sharing", "social", "related", "advert", "advertisement", "ads", "ad",
        "cookie", "cookies", "newsletter", "subscribe", "promo", "masthead", "footer", "header",
        "byline", "meta", "skip", "screen", "sr", "toolbar", "pagination", "tags", "respond",
        "topbar", "login", "signin", "signup", "paywall", "popup", "modal", "kicker",
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


COMMENT_AREAS = ("comments", "commentlist", "comment-list", "comments-area", "respond")


ANONYMOUS = frozenset({"anonymous", "anon", "guest", "unknown"})


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


def is_comment_item(node: etree._Element) -> bool:
    """li.comment / article.comment anywhere; div.comment only inside a comment area (a bare
    div.comment in an article body is more often an editor's note than a reader comment)."""
    if "comment" not in classes(node):
        return False
    if node.tag in ("li", "article"):
        return True
    return node.tag == "div" and any(is_comment_area(a) for a in node.iterancestors())


def in_furniture(node: etree._Element) -> bool:
    for ancestor in node.iterancestors():
        if ancestor.tag in DROP_TAGS or ancestor.get("role") in FURNITURE_ROLES:
            return True
    return False


def clean_author(name: str | None) -> str | None:
    if not name:
        return None
    name = normalise_space(name)
    lowered = name.lower()
    if lowered.startswith("by "):
        name = name[3:].strip()
    if not name or name.lower() in ANONYMOUS or name.startswith(("http://", "https://")):
        return None
    return name[:200]


def text_of(node: etree._Element) -> str:
    return normalise_space(node.text_content()) if hasattr(node, "text_content") else ""


def paragraphs(container: etree._Element) -> list[str]:
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
        if tag in DROP_TAGS:
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
            items = [text_of(li) for li in node if getattr(li, "tag", None) == "li"]
            items = [item for item in items if item]
            if items:
                out.append("\n".join(f"- {item}" for item in items))
        elif tag in BLOCK_TAGS:
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
