"""Markdown bodies: ATX headings become their own (headline) blocks; everything else is plain
text. Inline markup (**bold**, [links](...)) is kept: Discord renders Markdown itself."""

from __future__ import annotations

import re

_HEADING = re.compile(r"[^\S\n]{0,3}(#{1,6})[^\S\n]+(?P<text>.*?)(?:[^\S\n]+#+)?[^\S\n]*")
_FENCE = re.compile(r"[^\S\n]{0,3}(```|~~~)")


def markdown_to_text(body: str) -> tuple[str, str | None, bool]:
    """(plain text body, first level-1 heading if the body opens with one, whether further
    headings divide the body into sections)."""
    out: list[str] = []
    first_heading: str | None = None
    seen_text = False
    in_fence = False
    pending_blank = False
    sections = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        heading = None if in_fence else _HEADING.fullmatch(line)
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
        if not seen_text and first_heading is None and len(heading.group(1)) == 1:
            first_heading = text
            seen_text = True
            continue
        # A heading is a paragraph of its own even without blank lines around it (but no extra
        # blank lines: a wide gap is a post boundary for the shape rules).
        sections = True
        if out and out[-1].strip():
            out.append("")
        out.append(text)
        pending_blank = True
        seen_text = True
        continue
    return "\n".join(out), first_heading, sections
