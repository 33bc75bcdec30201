"""Link-heavy blocks: boxes of links (related stories, "more from", breadcrumbs in a layout
table) that carry no class name to recognise them by.

Text and link-text lengths are summed bottom-up in one pass, so deeply nested pages stay
linear.
"""

from __future__ import annotations

from lxml import etree

# Layout blocks that may be a box of links; paragraphs, headings and list items are judged
# as part of their block, never alone (a sentence with two links is still prose).
LINK_BOX_TAGS = frozenset(
    {"div", "table", "tbody", "tr", "td", "ul", "ol", "dl", "section", "center"}
)
MIN_LINKS = 2
MAX_BOX_CHARS = 400  # longer blocks are prose that happens to link a lot
MAX_LINK_SHARE = 0.5
PERMALINK_MARKS = frozenset({"#", "¶", "§", "🔗", "link"})


def link_boxes(container: etree._Element) -> list[etree._Element]:
    """Blocks below `container` with at least MIN_LINKS links whose link text is more than
    MAX_LINK_SHARE of their (short) text."""
    nodes = [n for n in container.iter() if isinstance(n.tag, str)]
    text_len: dict[etree._Element, int] = {}
    link_len: dict[etree._Element, int] = {}
    links: dict[etree._Element, int] = {}
    for node in reversed(nodes):  # children before parents
        size = len((node.text or "").strip())
        linked = 0
        count = 0
        for child in node:
            if not isinstance(child.tag, str):
                continue
            size += text_len.get(child, 0) + len((child.tail or "").strip())
            linked += link_len.get(child, 0)
            count += links.get(child, 0)
        if node.tag == "a":
            linked, count = size, count + 1
        text_len[node], link_len[node], links[node] = size, linked, count
    return [
        node
        for node in nodes
        if node is not container
        and node.tag in LINK_BOX_TAGS
        and links[node] >= MIN_LINKS
        and 0 < text_len[node] <= MAX_BOX_CHARS
        and link_len[node] > MAX_LINK_SHARE * text_len[node]
    ]


def is_permalink_mark(node: etree._Element) -> bool:
    """A heading's "#"/"¶" self-link, which is not part of the heading's text."""
    if node.tag != "a" or not node.get("href", "").startswith("#"):
        return False
    text = "".join(str(part) for part in node.itertext()).strip()
    return text in PERMALINK_MARKS
