"""Markdown bodies: ATX headings become their own (headline) blocks; everything else is plain
text. Inline markup (**bold**, [links](...)) is kept: Discord renders Markdown itself.

Headings after the title are reported back (`MarkdownBody.headings`) so the caller can make them
titles of the passages under them rather than passages. Footnote definitions (`[^1]: text`) are
taken out of the body and returned; the caller attaches each to the passage that refers to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"[^\S\n]{0,3}(#{1,6})[^\S\n]+(?P<text>.*?)(?:[^\S\n]+#+)?[^\S\n]*")
_FENCE = re.compile(r"[^\S\n]{0,3}(```|~~~)")
# `[^label]: text`, continued by indented lines (CommonMark footnote extension).
_FOOTNOTE_DEF = re.compile(r"[^\S\n]{0,3}\[\^(?P<label>[^\]\s]{1,40})\]:[^\S\n]*(?P<text>.*)")
_CONTINUATION = re.compile(r"(?:\t|[^\S\n]{4})(?P<text>.*)")


@dataclass(slots=True)
class MarkdownBody:
    text: str  # plain text body
    title: str | None = None  # the level-1 heading the body opens with, if any
    sections: bool = False  # further headings divide the body into sections
    headings: list[str] = field(default_factory=list)  # those headings, in order
    footnotes: dict[str, str] = field(default_factory=dict)  # label -> definition text


def parse_markdown(body: str) -> MarkdownBody:
    out: list[str] = []
    result = MarkdownBody(text="")
    seen_text = False
    in_fence = False
    pending_blank = False
    footnote: str | None = None  # label of the definition being continued
    for line in body.split("\n"):
        # each pattern is tried only on lines holding its marker: linear, but 3x fewer regex
        # calls on a large file (bench/bench_hostile.py)
        if ("`" in line or "~" in line) and _FENCE.match(line):
            in_fence = not in_fence
            footnote = None
            continue
        if not in_fence:
            if footnote is not None:
                more = _CONTINUATION.fullmatch(line)
                if more and more["text"].strip():
                    result.footnotes[footnote] += " " + more["text"].strip()
                    continue
                if line.strip():
                    footnote = None
            definition = _FOOTNOTE_DEF.fullmatch(line) if "[^" in line else None
            if definition is not None:
                footnote = definition["label"]
                result.footnotes[footnote] = definition["text"].strip()
                continue
        heading = None if in_fence or "#" not in line else _HEADING.fullmatch(line)
        if heading is None:
            if pending_blank and line.strip():
                out.append("")
            pending_blank = False
            out.append(line)
            seen_text = seen_text or bool(line.strip())
            continue
        text = heading["text"].strip()
        if not text:
            continue
        if not seen_text and result.title is None and len(heading.group(1)) == 1:
            result.title = text
            seen_text = True
            continue
        # A heading is a paragraph of its own even without blank lines around it (but no extra
        # blank lines: a wide gap is a post boundary for the shape rules).
        result.sections = True
        result.headings.append(" ".join(text.split()))
        if out and out[-1].strip():
            out.append("")
        out.append(text)
        pending_blank = True
        seen_text = True
    result.text = "\n".join(out)
    return result


def markdown_to_text(body: str) -> tuple[str, str | None, bool]:
    """(plain text body, first level-1 heading if the body opens with one, whether further
    headings divide the body into sections)."""
    parsed = parse_markdown(body)
    return parsed.text, parsed.title, parsed.sections
