"""Page titles from <title> / og:title without the site name that pages append or prepend
("Story | Site", "Story - Section - Site", "Site: Story")."""

from __future__ import annotations

import re
from collections.abc import Iterable

from forumbot.domain.ingest.textnorm import normalise_space

# A separator stands between spaces, so hyphenated words ("Self-driving") are left alone.
_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|·|•|»|«|::|/|\\|~|✩|★)\s+")
_PREFIX = re.compile(r":\s+")
# "Story [Site]", "Story ＜Site＞", "Story 【Site】": a bracketed tail names the site.
_BRACKET_TAIL = re.compile(
    r"\s*(?:\[[^\[\]]{1,60}\]|＜[^＜＞]{1,60}＞|<[^<>]{1,60}>|【[^【】]{1,60}】)\Z"
)
MIN_WORDS = 3  # a cut that leaves fewer words was probably not a site name


def page_title(raw: str, site_name: str | None, headings: Iterable[str]) -> str:
    """`raw` without its site-name part. A page heading equal to the story side of a
    separator wins; otherwise a known site name is dropped; otherwise the last separated part
    goes when at least MIN_WORDS words remain."""
    title = normalise_space(raw)
    bracket = _BRACKET_TAIL.search(title)
    if bracket and bracket.start() > 0:
        title = title[: bracket.start()].strip()
    spans = [m.span() for m in _SEPARATOR.finditer(title)]
    prefix = _PREFIX.search(title)
    if not spans and not prefix:
        return title
    # Site names trail ("Story | Site") or lead with a colon ("Site: Story"); only the story
    # side may match a heading, so a logo heading never becomes the title.
    story_sides = [title[:start].strip() for start, _ in spans]
    if prefix:
        story_sides.append(title[prefix.end() :].strip())
    heads = {normalise_space(h).casefold() for h in headings}
    if title.casefold() in heads:
        return title  # the page's own headline has the separator in it
    matching = [side for side in story_sides if side and side.casefold() in heads]
    if matching:
        return max(matching, key=len)
    if site_name:
        site = normalise_space(site_name).casefold()
        if title.casefold().endswith(site) and spans:
            head = title[: spans[-1][0]].strip()
            if title[spans[-1][1] :].strip().casefold() == site and head:
                return head
        if prefix and title[: prefix.start()].strip().casefold() == site:
            return title[prefix.end() :].strip() or title
    if not spans:
        return title
    head = title[: spans[-1][0]].strip()
    return head if len(head.split()) >= MIN_WORDS else title
