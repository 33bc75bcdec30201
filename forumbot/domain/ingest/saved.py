"""Where the article starts in a web page saved as text: the browser's text begins with the
site's navigation (menus, "Skip to content", sign-in links), then the headline and its byline.

The byline is the anchor: a line naming the author ("By Jane Doe", "Posted by … on <date>",
"By: Jane | <date> | Categories…", run-together forms such as "ByJane Doe 3 May 2024"), or a
name alone followed by a date or a reading time (Substack, Medium). The line above it is the
title (with a subtitle between them, the upper line); what precedes the title is dropped, but
only when it is all short lines, as navigation is, so no article text is ever lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bylines import saved_byline_author

# The anchor is looked for in the first part of the page only, and navigation lines are short.
SEARCH_SHARE = 0.6
MIN_SEARCH_LINES = 40
MAX_NAV_LINE = 120
MAX_TITLE_CHARS = 300
_NAME_ONLY = re.compile(r"[A-ZÀ-ÖØ-Þ][\w'’.-]*(?: [A-ZÀ-ÖØ-Þ][\w'’.-]*){1,3}")
_DATE_OR_READ = re.compile(
    r"(?:\d+ min read|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2},? \d{4}"
    r"|\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4})",
)


@dataclass(slots=True)
class SavedStart:
    title: str
    author: str
    text: str  # the page from the line after the byline (a subtitle first, if any)


def saved_page_start(text: str) -> SavedStart | None:
    lines = text.split("\n")
    limit = max(MIN_SEARCH_LINES, int(len(lines) * SEARCH_SHARE))
    for index in range(1, min(limit, len(lines))):
        line = lines[index].strip()
        if not line:
            continue
        maybe_byline = len(line) <= 220 and ("by" in line or "By" in line or "BY" in line)
        author = saved_byline_author(line) if maybe_byline else None
        name_only = author is None and _name_line(lines, index)
        if author is None and not name_only:
            continue
        above = [i for i in range(max(0, index - 3), index) if lines[i].strip()]
        if not above:
            continue
        title_at = above[-1]
        subtitle: str | None = None
        if len(above) >= 2 and " ".join(lines[above[-1]].split()).endswith(
            " ".join(lines[above[-2]].split())
        ):
            title_at = above[-2]  # a breadcrumb ending in the title sits between them
        elif name_only:
            # Substack/Medium: title, [subtitle straight under it], name, date
            if len(above) >= 2 and above[-2] + 1 == above[-1] == index - 1:
                title_at, subtitle = above[-2], lines[above[-1]].strip()
            author = line
        if name_only:
            author = line
        title = " ".join(lines[title_at].split())
        if len(title.split()) < 2 or len(title) > MAX_TITLE_CHARS or title.endswith(":"):
            continue
        if any(len(previous) > MAX_NAV_LINE for previous in lines[:title_at]):
            return None  # text above the headline: not navigation, keep the page whole
        rest = "\n".join(lines[index + 1 :])
        if subtitle:
            rest = f"{subtitle}\n\n{rest}"
        assert author is not None
        return SavedStart(title, author, rest)
    return None


def _name_line(lines: list[str], index: int) -> bool:
    """A line holding only a name, followed by a date or a reading time."""
    line = lines[index].strip()
    if len(line) > 60 or " " not in line or not _NAME_ONLY.fullmatch(line):
        return False
    following = [line.strip() for line in lines[index + 1 : index + 3] if line.strip()]
    return bool(following) and _DATE_OR_READ.fullmatch(following[0]) is not None
