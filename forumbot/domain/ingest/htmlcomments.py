"""Reader comments in HTML pages (WordPress-style markup).

Comment items are `li.comment` / `article.comment` anywhere and `div.comment` inside a comment
area (`#comments`, `.commentlist`, `.comment-list`, `.comments-area`). A threaded reply (in a
nested `ol.children`) is a comment of its own. The author comes from `.comment-author`, `.fn`
or `cite`; "Anonymous"/"Guest" or no name gives None.
"""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html

from forumbot.domain.article import ParsedComment

from .htmltree import (
    DROP_TAGS,
    classes,
    clean_author,
    drop,
    is_comment_area,
    is_comment_item,
    paragraphs,
    text_of,
    words,
    xpath,
)


def comments(root: lxml_html.HtmlElement) -> list[ParsedComment]:
    """Collect comments in page order, then cut every comment area out of the page."""
    items = [node for node in root.iter() if is_comment_item(node)]
    # An item inside another item is the same comment (li.comment > article.comment) unless a
    # list sits between them (a threaded reply in ol.children).
    items = [node for node in items if not wrapped_in_item(node)]
    comments: list[ParsedComment] = []
    for node in items:
        author = comment_author(node)
        text = "\n\n".join(paragraphs(comment_body(node)))
        if text:
            comments.append(ParsedComment(len(comments) + 1, text, author))
    areas = [node for node in root.iter() if is_comment_area(node) or is_comment_item(node)]
    for node in areas:
        if node.getparent() is not None and not any(a in areas for a in node.iterancestors()):
            drop(node)
    return comments


def wrapped_in_item(node: etree._Element) -> bool:
    for ancestor in node.iterancestors():
        if ancestor.tag in ("ol", "ul"):
            return False
        if is_comment_item(ancestor):
            return True
    return False


def comment_author(node: etree._Element) -> str | None:
    for path in (
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' comment-author ')]",
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]",
        ".//cite",
    ):
        for found in xpath(node, path):
            if inside_reply(found, node):
                continue
            named = xpath(
                found, ".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]|.//cite"
            )
            name = text_of(named[0] if named else found)
            for suffix in ("says:", "says", "said:", "wrote:"):
                if name.lower().endswith(suffix):
                    name = name[: -len(suffix)].strip()
            return clean_author(name)
    return None


def inside_reply(found: etree._Element, item: etree._Element) -> bool:
    """True when `found` belongs to a nested reply of `item` rather than to `item` itself."""
    for ancestor in found.iterancestors():
        if ancestor is item:
            return False
        if is_comment_item(ancestor):
            return True
    return False


def comment_body(node: etree._Element) -> etree._Element:
    copy = lxml_html.fromstring(etree.tostring(node, encoding="unicode"))
    for child in list(copy.iter()):
        if child is copy or child.getparent() is None:
            continue
        marks = words(child)
        if (
            is_comment_item(child)
            or (child.tag in ("ol", "ul") and "children" in classes(child))
            or marks & {"author", "meta", "metadata", "commentmetadata", "reply", "says"}
            or child.tag in DROP_TAGS
            or (child.tag in ("cite", "time") and not in_prose(child, copy))
        ):
            drop(child)
    return copy


def in_prose(node: etree._Element, root: etree._Element) -> bool:
    """Inside a paragraph-like element below `root`: a <cite> or <time> there is comment text,
    elsewhere it is the comment's signature or timestamp."""
    for ancestor in node.iterancestors():
        if ancestor is root:
            return False
        if ancestor.tag in ("p", "blockquote", "li", "td", "pre"):
            return True
    return False
