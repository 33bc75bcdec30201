"""Reader comments in HTML pages (WordPress-style markup).

Comment items are `li.comment` / `article.comment` / elements with a numbered comment id
(`comment-123`, as WordPress and plugins such as Epoch write) anywhere, and `div.comment`
inside a comment area (`#comments`, `.commentlist`, `.comment-list`, `.comments-area`). A
threaded reply (in a nested list, or carrying another comment number) is a comment of its own.
The author comes from `.fn`, `cite`, or the comment's author block without its avatar, date
and reply links; "Anonymous"/"Guest" or no name gives None.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree
from lxml import html as lxml_html

from forumbot.domain.article import ParsedComment

from .tree import (
    DROP_TAGS,
    classes,
    clean_author,
    comment_number,
    drop,
    is_comment_area,
    is_comment_item,
    paragraphs,
    text_of,
    words,
    xpath,
)

# Every element that may be a comment area or item has "comment" or "respond" in its id or
# class, or is a list item of such an element. Selecting them in XPath (C) first spares a
# Python test of every element of the page, which cost more than the extraction itself.
# "omment"/"espond" match Comment and comment without lower-casing every attribute of the page.
# Attribute-axis steps: half the CPU of `//*[contains(@id, ...) or ...]`, same elements.
_MARKED = etree.XPath(
    "(/descendant::*/@id|/descendant::*/@class)[contains(., 'omment') or contains(., 'espond')]/.."
)
# The marked elements and their list items in document order: the page is walked once (the
# node-set is passed back as a variable) instead of once per branch of a union.
_WITH_ITEMS = etree.XPath("$marked | $marked/li")


def _candidates(root: etree._Element) -> list[etree._Element]:
    marked = _MARKED(root)
    if not isinstance(marked, list) or not marked:
        return []
    found = _WITH_ITEMS(root, marked=marked)
    return (
        [node for node in found if isinstance(node, etree._Element)]
        if isinstance(found, list)
        else []
    )


def comments(root: lxml_html.HtmlElement) -> list[ParsedComment]:
    """Collect comments in page order, then cut every comment area out of the page."""
    candidates = _candidates(root)  # in document order
    items = [node for node in candidates if is_comment_item(node)]
    # An item inside another item is the same comment (li.comment > article.comment) unless a
    # list sits between them (a threaded reply in ol.children).
    items = [node for node in items if not wrapped_in_item(node)]
    found = [(comment_author(node), "\n\n".join(paragraphs(comment_body(node)))) for node in items]
    if not items:
        found = list(definition_list_comments(root))
    comments: list[ParsedComment] = []
    for author, text in found:
        if text:
            comments.append(ParsedComment(len(comments) + 1, text, author))
    areas = {node for node in candidates if is_comment_area(node) or is_comment_item(node)}
    for node in list(areas):
        if node.getparent() is not None and not any(a in areas for a in node.iterancestors()):
            drop(node)
    return comments


def definition_list_comments(
    root: lxml_html.HtmlElement,
) -> Iterator[tuple[str | None, str]]:
    """Comments written as a definition list in a comment area (Blogger's classic template):
    `<dt>Name said...</dt><dd class="comment-body">text</dd><dd class="comment-footer">`."""
    for dl in root.iter("dl"):
        if not (is_comment_area(dl) or any(is_comment_area(a) for a in dl.iterancestors())):
            continue
        poster: etree._Element | None = None
        for child in dl:
            if child.tag == "dt":
                poster = child
            elif child.tag == "dd" and poster is not None and not words(child) & _NOT_BODY:
                author = clean_author(_strip_says(text_of(poster)))
                yield author, "\n\n".join(paragraphs(comment_body(child)))
                poster = None  # later dd's of the same entry are its footer


def wrapped_in_item(node: etree._Element) -> bool:
    for ancestor in node.iterancestors():
        if ancestor.tag in ("ol", "ul"):
            return False
        if is_comment_item(ancestor):
            return same_comment(node, ancestor)
    return False


def same_comment(inner: etree._Element, outer: etree._Element) -> bool:
    """Two nested items are one comment (li#comment-7 > article#div-comment-7) unless they
    carry different comment numbers (a reply nested without a list)."""
    numbers = {comment_number(inner), comment_number(outer)} - {None}
    return len(numbers) <= 1


# Parts of a comment's header that are not its author's name.
_NOT_NAME = frozenset(
    {"avatar", "floor", "meta", "metadata", "commentmetadata", "reply", "says", "date",
     "datetime", "time", "timestamp", "divide", "permalink", "edit"}
)  # fmt: skip
_AUTHOR_BLOCK = "contains(translate(@class, 'AUTHOR', 'author'), 'author')"


def comment_author(node: etree._Element) -> str | None:
    for path in (
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' comment-author ')]",
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]",
        ".//cite",
        f".//*[{_AUTHOR_BLOCK}]",  # epoch-comment-author, comment-author-name...
    ):
        for found in xpath(node, path):
            if (
                inside_reply(found, node)
                or words(found) & {"avatar"}
                # a bare <cite> in the comment's text is a quoted title, not a signature
                or (found.tag == "cite" and not classes(found) and in_prose(found, node))
            ):
                continue
            return clean_author(_strip_says(_name_in(found)))
    return None


def _name_in(block: etree._Element) -> str:
    """The name inside an author block: its .fn/cite/strong/b/link text once avatars, dates,
    separators and permalinks are gone, else what text is left."""
    copy = lxml_html.fromstring(etree.tostring(block, encoding="unicode", with_tail=False))
    for child in list(copy.iterdescendants()):
        if child.getparent() is None:
            continue
        href = child.get("href", "")
        if (
            child.tag in ("time", "img")
            or words(child) & _NOT_NAME
            or "#comment" in href
            or ("replytocom" in href)
        ):
            drop(child)
    for path in (
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]",
        ".//cite",
        ".//strong|.//b|.//a",
    ):
        for found in xpath(copy, path):
            if text_of(found):
                return text_of(found)
    return text_of(copy)


def _strip_says(name: str) -> str:
    for suffix in ("says:", "says", "said:", "said...", "said…", "said", "wrote:"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)].strip()
    return name


def inside_reply(found: etree._Element, item: etree._Element) -> bool:
    """True when `found` belongs to a nested reply of `item` rather than to `item` itself."""
    for ancestor in found.iterancestors():
        if ancestor is item:
            return False
        if is_comment_item(ancestor) and not same_comment(ancestor, item):
            return True
    return False


_NOT_BODY = _NOT_NAME | {"author", "actions", "report", "footer"}


def comment_body(node: etree._Element) -> etree._Element:
    copy = lxml_html.fromstring(etree.tostring(node, encoding="unicode"))
    for child in list(copy.iter()):
        if child is copy or child.getparent() is None:
            continue
        marks = words(child)
        if (
            (is_comment_item(child) and not same_comment(child, copy))
            or (child.tag in ("ol", "ul") and "children" in classes(child))
            # a header, date or link bar; a block holding the comment's paragraphs is not one
            # even when its class says "report-comment" or "comment-meta-wrap"
            or (marks & _NOT_BODY and not _holds_prose(child))
            or child.tag in DROP_TAGS
            or (child.tag in ("cite", "time") and not in_prose(child, copy))
        ):
            drop(child)
    return copy


def _holds_prose(node: etree._Element) -> bool:
    return any(True for _ in node.iterdescendants("p", "blockquote"))


def in_prose(node: etree._Element, root: etree._Element) -> bool:
    """Inside a paragraph-like element below `root`: a <cite> or <time> there is comment text,
    elsewhere it is the comment's signature or timestamp."""
    for ancestor in node.iterancestors():
        if ancestor is root:
            return False
        if ancestor.tag in ("p", "blockquote", "li", "td", "pre"):
            return True
    return False
