"""Markdown structure that is not passages: section headings title the passages under them, and
footnote definitions join the passage that refers to them."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict

_FOOTNOTE_REF = re.compile(r"\[\^(?P<label>[^\]\s]{1,40})\]")
MAX_HEADING_CHARS = 200


def _norm(text: str) -> str:
    return " ".join(text.split())


def section_headings(
    paragraphs: list[str], headings: list[str], warnings: list[str]
) -> tuple[list[str], list[str | None]]:
    """Take the heading paragraphs out: (passages, the heading each passage sits under).

    `headings` are the document's headings in order; a paragraph is one of them when its text
    equals the next unconsumed heading at or after the last one matched (so an ordinary
    paragraph with a heading's words, earlier in the text, stays a passage). A heading straight
    under another extends it ("Part 2 › Costs"); one with no text under it is reported."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for index, heading in enumerate(headings):
        positions[heading].append(index)
    next_index = 0
    passages: list[str] = []
    titles: list[str | None] = []
    current: str | None = None
    current_used = True
    for paragraph in paragraphs:
        found = positions.get(_norm(paragraph))
        at = bisect_left(found, next_index) if found else 0
        if found and at < len(found):
            next_index = found[at] + 1
            text = _norm(paragraph)
            if not current_used and current is not None:
                text = f"{current} › {text}"
            current = text[:MAX_HEADING_CHARS]
            current_used = False
            continue
        passages.append(paragraph)
        titles.append(current)
        current_used = True
    if not current_used and current is not None:
        warnings.append(f"heading {current[:60]!r} has no text under it; left out")
    return passages, titles


def attach_footnotes(
    paragraphs: list[str], footnotes: dict[str, str], warnings: list[str]
) -> list[str]:
    """`[^n]` references become `[n]`, and each definition is added as a last line `[n] text`
    of the first passage that refers to it (so a citation of that passage carries its note)."""
    used: set[str] = set()
    out = []
    for paragraph in paragraphs:
        notes: list[str] = []

        def mark(match: re.Match[str], notes: list[str] = notes) -> str:
            label = match["label"]
            if label not in footnotes:
                return match.group(0)
            if label not in used:
                used.add(label)
                notes.append(f"[{label}] {footnotes[label]}".rstrip())
            return f"[{label}]"

        text = _FOOTNOTE_REF.sub(mark, paragraph)
        out.append("\n".join([text, *notes]) if notes else text)
    unused = [label for label in footnotes if label not in used]
    if unused:
        shown = ", ".join(f"[^{label}]" for label in unused[:5])
        warnings.append(f"footnote {shown} is never referred to; its text was left out")
    return out
