"""The article body of an HTML page, found by trafilatura, as passages.

trafilatura (the field's maintained main-text extractor) finds the body and hands back its own
XML: <p>, <head>, <list>/<item>, <quote>, <code>, <table>/<row>/<cell>, with <lb/> for line
breaks and <hi>/<ref> inline. Each paragraph-like element becomes passages as plain text pages
do: a blank line (two <br>) separates passages, single line breaks join, list items keep a line
each ("- item"), a table row is one line of cells.

On pages/bench figures: `favor_recall` was measured best on the development sets
(bench/bench_extract.py; README) and is also the fastest of trafilatura's modes there.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from typing import Any

import trafilatura
from lxml import etree
from trafilatura.settings import DEFAULT_CONFIG, Extractor

from forumbot.domain.ingest.textnorm import split_paragraphs

from .tree import drop

# An empty extraction is this file's one-line error; trafilatura's own warning for it (and its
# error for an empty tree) would only be noise in the bot's log.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

# trafilatura's config: below MIN_EXTRACTED_SIZE characters it falls back to a dump of the whole
# page's text as one block (boxes, credits and all), which ruins short posts; see bench/README.md
# for the value's effect on the benchmark pages.
MIN_EXTRACTED_SIZE = 100
_CONFIG = deepcopy(DEFAULT_CONFIG)
_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(MIN_EXTRACTED_SIZE))
# Built once (trafilatura reads its config for every call otherwise; it copies, never changes,
# the options). Output format "xml": we read trafilatura's XML body, and its default "python"
# format also renders that body as plain text, which we would discard (~0.4 ms a page).
_OPTIONS = Extractor(
    config=_CONFIG,
    output_format="xml",
    recall=True,
    comments=False,
    tables=True,
    images=False,
    formatting=False,
    links=False,
    with_metadata=False,
)

_CONTAINERS = frozenset({"cell", "quote", "div", "section", "main", "article", "body"})
_BLOCKS = frozenset({"p", "head", "list", "quote", "code", "table", "div", "section"})


# Never passages, whatever trafilatura makes of them: what the reader cannot see (inline-hidden
# placeholders, spam traps), figure captions and photo credits, bylines and kickers above the
# headline, short share boxes, heading self-links. Each rule was checked on the benchmark pages
# (bench/README.md): these are neutral or better there, while dropping `hidden` elements, <nav>
# or page <header>s lost whole articles.
_NEVER_BODY_OTHER = etree.XPath(
    # Attribute-axis steps (`//@class[...]/..`) rather than `//*[contains(@class, ...)]`: the
    # same elements in document order at a third of the CPU (bench_extract.py, AEB pages).
    "//@style[contains(translate(., 'DISPLAYNOEVISBT: ', 'displaynoevisbt'), 'display:none')"
    " or contains(translate(., 'DISPLAYNOEVISBT: ', 'displaynoevisbt'), 'visibility:hidden')]/.."
    " | //@aria-hidden[. = 'true']/.."
    " | //figcaption"
    " | //@id[contains(., 'related')]/parent::*[string-length(normalize-space(.)) < 400]"
    # a heading's "#" / "¶" self-link
    " | //@href[starts-with(., '#')]/parent::a[normalize-space(.) = '#' or normalize-space(.) = '¶'"
    " or normalize-space(.) = '§']"
)
# Every class holding one of the words below, in document order: all class values in one walk,
# tested by one regular expression in Python. The same values as an XPath of nine contains()
# per class attribute, at under half its CPU (1.6 -> 0.7 ms a page on the AEB pages); one XPath
# branch per rule walked the page three times.
_CLASSES = etree.XPath("//@class")
_MARKED = re.compile("yline|kicker|share|related|social|newsletter|subscribe|credit|caption")
_BOXES = ("share", "related", "social", "newsletter", "subscribe")
_VISIBLE_LENGTH = etree.XPath("string-length(normalize-space(.))")
_IN_ORDER = etree.XPath("$one | $two")


def _is_short(node: etree._Element, limit: int) -> bool:
    length = _VISIBLE_LENGTH(node)
    return isinstance(length, float) and length < limit


def _never_body_classes(tree: etree._Element) -> list[etree._Element]:
    """Byline and kicker blocks; short share / related / newsletter boxes (a long one may be a
    wrapper of the article); photo credits and captions outside <figcaption>."""
    found = []
    values = _CLASSES(tree)
    for value in values if isinstance(values, list) else []:
        if not isinstance(value, etree._ElementUnicodeResult) or not _MARKED.search(value):
            continue
        node = value.getparent()
        if node is None:
            continue
        value = str(value)
        tokens = value.split(" ")
        if "byline" in tokens or "Byline" in value or "kicker" in tokens:
            found.append(node)
        elif any(word in value for word in _BOXES):
            if _is_short(node, 400):
                found.append(node)
        elif ("credit" in value or "caption" in value) and _is_short(node, 300):
            found.append(node)
    return found


def _never_body(tree: etree._Element) -> list[etree._Element]:
    """Never passages, whatever trafilatura makes of them, in document order."""
    other = _NEVER_BODY_OTHER(tree)
    by_class: Any = _never_body_classes(tree)  # a node-set variable (lxml's stubs type it loosely)
    found = _IN_ORDER(tree, one=other if isinstance(other, list) else [], two=by_class)
    return (
        [node for node in found if isinstance(node, etree._Element)]
        if isinstance(found, list)
        else []
    )


# trafilatura costs ~70 µs of CPU per element; the largest of ~1,000 benchmark pages has 5,105
# elements. A page past this many is read with one linear walk instead (parse_html), so that a
# hostile page of FORUMBOT_MAX_FILE_BYTES stays within seconds (bench/bench_hostile.py).
MAX_ELEMENTS = 20_000
TOO_LARGE_WARNING = (
    f"page has more than {MAX_ELEMENTS} elements; all of its paragraphs were kept"
    " (no main-text extraction)"
)


_ELEMENT_COUNT = etree.XPath("count(//*)")


def too_large(tree: etree._Element) -> bool:
    # counted in C: a Python walk of every element cost ~1 ms a page
    count = _ELEMENT_COUNT(tree)
    return isinstance(count, float) and count > MAX_ELEMENTS


def extract_body(tree: etree._Element) -> list[str]:
    """Passages of the page's main text ([] when trafilatura finds none). Elements that are
    never body text are cut out of `tree` first."""
    for node in _never_body(tree):
        if node.getparent() is not None:
            drop(node)
    doc = trafilatura.bare_extraction(tree, options=_OPTIONS)
    body = getattr(doc, "body", None)  # None when trafilatura found no main text
    return passages(body) if body is not None else []


def passages(body: etree._Element) -> list[str]:
    """Passages of trafilatura's XML body, in document order (an explicit stack, so nesting
    depth cannot exhaust Python's recursion limit)."""
    out: list[str] = []
    _text(body.text, out)
    # (element, True) stands for the point after a container's children, where its tail goes.
    stack: list[tuple[etree._Element, bool]] = [(child, False) for child in reversed(body)]
    while stack:
        node, after = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else None
        if after or tag is None:
            _text(node.tail, out)
            continue
        if tag == "table" and _layout(node):
            # A layout table (cells holding paragraphs): its cells' blocks in reading order.
            stack.append((node, True))
            cells = [cell for row in node if row.tag == "row" for cell in row if cell.tag == "cell"]
            stack.extend((cell, False) for cell in reversed(cells))
            continue
        if tag in _CONTAINERS and any(child.tag in _BLOCKS for child in node):
            _text(node.text, out)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node))
            continue
        if tag == "list":
            items = [f"- {text}" for text in _items(node)]
            if items:
                out.append("\n".join(items))
        elif tag == "table":
            for row in node.iter("row"):
                texts = [" ".join(inline_text(cell).split()) for cell in row.iter("cell")]
                line = " | ".join(text for text in texts if text)
                if line:
                    out.append(line)
        elif tag != "graphic":
            out.extend(split_paragraphs(inline_text(node)))
        _text(node.tail, out)
    return out


def _layout(table: etree._Element) -> bool:
    return any(
        child.tag in _BLOCKS
        for row in table
        for cell in row
        if cell.tag == "cell"
        for child in cell
    )


def _text(text: str | None, out: list[str]) -> None:
    if text and text.strip():
        out.extend(split_paragraphs(text))


def _items(node: etree._Element) -> list[str]:
    """Text of every <item> of a list, nested lists' items included (each once)."""
    texts = []
    for item in node.iter("item"):
        text = " ".join(inline_text(item, skip="list").split())
        if text:
            texts.append(text)
    return texts


def inline_text(node: etree._Element, skip: str | None = None) -> str:
    """Text of `node` with <lb/> as a newline; subtrees tagged `skip` are left out."""
    parts: list[str] = []
    skipping = 0
    for event, element in etree.iterwalk(node, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else None
        if event == "start":
            if element is not node and tag == skip:
                skipping += 1
            if skipping:
                continue
            if tag == "lb":
                parts.append("\n")
            elif element.text and tag is not None:
                parts.append(element.text)
        else:
            if element is not node and tag == skip:
                skipping -= 1
                if element.tail and not skipping:
                    parts.append(element.tail)
                continue
            if not skipping and element is not node and element.tail:
                # load_html gave every <br> a newline tail (for our own text reads); the <lb/>
                # already stands for it
                tail = element.tail[1:] if tag == "lb" and element.tail[0] == "\n" else element.tail
                parts.append(tail)
    return "".join(parts)
