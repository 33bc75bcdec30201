"""Text -> lxml document, surviving pages nested deeper than libxml2 allows.

libxml2 stops reading a document whose elements nest past its depth limit (256, or about 2000
with `huge_tree`), silently dropping the rest of the page; thousands of unclosed <font> or
<div> tags are enough. When that happens the page is parsed again with only the tags that
give it structure kept, so its text survives.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from forumbot.domain.ingest.errors import IngestError

_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
# `[^<>]*` rather than `[^>]*`: a tag left open cannot make every later "<" scan to the end.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
# Tags kept when a too-deep page is flattened: paragraphs, headings, lists, metadata and the
# furniture that must still be recognised and removed.
_STRUCTURAL = frozenset(
    {
        "html", "head", "body", "title", "meta", "link", "script", "style", "noscript",
        "template", "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre",
        "blockquote", "nav", "aside", "header", "footer", "form", "article", "main",
    }
)  # fmt: skip
# Nothing real nests this deep; trafilatura and lxml's own helpers recurse per level, so a
# deeper page is flattened further: only tags that cannot nest are kept.
MAX_DEPTH = 200
_FLAT = frozenset(
    {"html", "head", "body", "title", "meta", "link", "script", "style", "p", "br", "h1", "h2",
     "h3", "h4", "h5", "h6"}
)  # fmt: skip
FLATTENED_WARNING = "HTML nested too deeply; its layout tags were dropped to keep the text"


# lxml.html's own class lookup is Python code run for every element object made (~280,000 a
# run of the 181 AEB pages, inside trafilatura too); it only gives <form>, <input>, <select>,
# <textarea> and <label> their own classes, which nothing here uses. The same classes for every
# element, chosen in C:
_LOOKUP = etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement,
    comment=lxml_html.HtmlComment,
    pi=lxml_html.HtmlProcessingInstruction,
    entity=lxml_html.HtmlEntity,
)


def _parser() -> lxml_html.HTMLParser:
    parser = lxml_html.HTMLParser(huge_tree=True)
    parser.set_element_class_lookup(_LOOKUP)
    return parser


def _too_deep(parser: lxml_html.HTMLParser) -> bool:
    return any("depth" in entry.message.lower() for entry in parser.error_log)


def _flatten(text: str, keep: frozenset[str] = _STRUCTURAL) -> str:
    def keep_structure(match: re.Match[str]) -> str:
        return match.group(0) if match.group(2).lower() in keep else " "

    return _TAG.sub(keep_structure, text)


# An element MAX_DEPTH + 1 levels below the root, looked for level by level in C: a Python walk
# of every element cost ~2 ms a page.
_DEEPER = etree.XPath("boolean(" + "/".join(["*"] * (MAX_DEPTH + 1)) + ")")


def _too_deep_tree(root: etree._Element) -> bool:
    return bool(_DEEPER(root))


def load_html(text: str, warnings: list[str]) -> lxml_html.HtmlElement:
    """The parsed document. Raises IngestError for empty or unreadable input."""
    # lxml refuses str input that carries an XML encoding declaration (XHTML); the text is
    # already decoded, so the declaration is dropped.
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        raise IngestError("no text paragraphs found in the HTML body")
    try:
        parser = _parser()
        root = lxml_html.document_fromstring(text, parser=parser)
        if _too_deep(parser) or _too_deep_tree(root):
            warnings.append(FLATTENED_WARNING)
            root = lxml_html.document_fromstring(_flatten(text), parser=_parser())
            if _too_deep_tree(root):
                root = lxml_html.document_fromstring(_flatten(text, _FLAT), parser=_parser())
            if _too_deep_tree(root):
                raise IngestError("HTML nested too deeply to read")
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(f"unreadable HTML ({exc})") from None
    # A <br> separates words: "Ines Okafor<br>March 25" must not read "Ines OkaforMarch 25"
    # wherever an element's text is taken whole.
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return root
