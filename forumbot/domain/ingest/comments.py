"""Reader comments at the end of a plain-text page: a numbered list that runs to the end of the
document, e.g.

      1. Name says:
        comment paragraph...
      2. a comment without an author line

The list counts as comments only when it is the document's tail, numbered 1, 2, 3... without
gaps, with continuation lines indented deeper than the numbers, and either some item has a
"Name says:" line, or the numbers are indented, some item runs over several lines and a wide
gap (two or more blank lines) separates the list from the article. That keeps an ordinary
numbered list inside or at the end of an article ("1. The problem...") in the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forumbot.domain.article import ParsedComment

from .textnorm import split_paragraphs

_ITEM = re.compile(r"(?P<indent>[^\S\n]*)(?P<num>\d{1,4})\.[^\S\n]+(?P<rest>\S.*)")
_SAYS = re.compile(r"(?P<name>\S.{0,79}?)[^\S\n]+(?:says|said|wrote|writes)[^\S\n]*:")
_INDENT = re.compile(r"[^\S\n]*")
# A comment's first line that only dates it ("March 5, 2020 at 10:12 am", "5 March 2020 at
# 10:12"): page furniture, not comment text.
_MONTH = r"[A-Z][a-z]{2,8}\.?"
_DATE_LINE = re.compile(
    rf"(?:{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}} {_MONTH},? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    r"(?:,? (?:at )?\d{1,2}[:.]\d{2}(?: ?[apAP]\.?[mM]\.?)?)?"
)


@dataclass(slots=True)
class _Item:
    number: int
    author: str | None
    lines: list[str]


def split_comments(text: str) -> tuple[str, list[ParsedComment]]:
    """(body text, comments). Without a comment tail the text comes back whole."""
    lines = text.split("\n")
    budget = 4 * len(lines) + 100  # bounds the search on adversarial input: stays linear
    for index, line in enumerate(lines):
        match = _ITEM.fullmatch(line)
        if match is None or match["num"] != "1":
            continue
        items, scanned = _parse_tail(lines, index, len(match["indent"]))
        budget -= scanned
        if budget < 0:
            break
        if items is None:
            continue
        body = "\n".join(lines[:index])
        if not body.strip() or not _looks_like_comments(items, lines, index, match):
            continue
        return body, _to_comments(items)
    return text, []


def _looks_like_comments(
    items: list[_Item], lines: list[str], start: int, first: re.Match[str]
) -> bool:
    if any(item.author for item in items):
        return True
    gap = 0
    while gap < start and not lines[start - gap - 1].strip():
        gap += 1
    multi_line = any(sum(1 for line in item.lines if line.strip()) > 1 for item in items)
    return bool(first["indent"]) and multi_line and gap >= 2


def _parse_tail(lines: list[str], start: int, indent: int) -> tuple[list[_Item] | None, int]:
    """(items, lines scanned); items is None when the list is not the document's tail."""
    items: list[_Item] = []
    for position in range(start, len(lines)):
        line = lines[position]
        if not line.strip():
            if items:
                items[-1].lines.append("")
            continue
        match = _ITEM.fullmatch(line)
        if match and len(match["indent"]) == indent and int(match["num"]) == len(items) + 1:
            rest = match["rest"].strip()
            says = _SAYS.fullmatch(rest)
            if says:
                items.append(_Item(len(items) + 1, says["name"].strip(), []))
            else:
                items.append(_Item(len(items) + 1, None, [rest]))
            continue
        leading = _INDENT.match(line)
        if leading is None or len(leading.group()) <= indent:
            # An unindented line after the list: the list is not the tail.
            return None, position - start + 1
        items[-1].lines.append(line)
    return items, len(lines) - start


def _to_comments(items: list[_Item]) -> list[ParsedComment]:
    comments: list[ParsedComment] = []
    for item in items:
        lines = item.lines
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is not None and _DATE_LINE.fullmatch(lines[first].strip()):
            lines = lines[first + 1 :]
        text = "\n\n".join(split_paragraphs("\n".join(lines)))
        if text:
            comments.append(
                ParsedComment(position=len(comments) + 1, text=text, author=item.author)
            )
    return comments
