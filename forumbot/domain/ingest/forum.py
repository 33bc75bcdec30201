"""A forum thread saved as text (the browser's text of a XenForo, vBulletin, phpBB, MyBB, FluxBB,
Discourse or Invision Community page): the first post is the article, the replies are its
reader comments.

Posts are found by the markers every such page prints, never by a site's words:
- post numbers counting up from 1 on a line of their own or beside the date ("#1",
  "#2 · Jun 4, 2024", "11-29-2024, 09:03 AM #3", "#4 2024-08-03 14:22:38");
- phpBB's "Post by Name » date" lines;
- phpBB's "Re: <thread title>" lines, the first post carrying the title itself;
- Invision's "Posted <date>" lines (see `_invision`).
A post's author is the name in its header: the line above the poster's statistics ("Posts: 12",
"Joined", "Member"), else the last name-like line before the marker; when the marker sits beside
a date, the line after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forumbot.domain.article import ParsedComment

from .textnorm import MONTH_PATTERN, normalise_space, split_paragraphs

MIN_POSTS = 2
_NUMBER = re.compile(
    r"(?:(?P<before>.{0,40}?)[^\S\n]+)?#(?P<num>\d{1,5})(?:[^\S\n]*(?:·[^\S\n]*)?(?P<after>.{0,40}))?"
)
_POST_BY = re.compile(
    r"[^\S\n]*Post[^\S\n]+by[^\S\n]+(?P<name>.{1,60}?)[^\S\n]+»[^\S\n]*(?P<rest>.*)"
)
_RE = re.compile(r"[^\S\n]*Re:[^\S\n]+(?P<title>\S.{0,300})")
_STARTER = re.compile(
    r"[^\S\n]*(?:Thread|Discussion|Topic)[^\S\n]+starter[^\S\n]*(?P<name>.{0,60})", re.I
)
_DIGIT = re.compile(r"\d")
_DATEISH = re.compile(
    rf"(?:\w+,?[^\S\n]+)?(?:{MONTH_PATTERN}[^\S\n]+\d{{1,2}}|\d{{1,2}}\.?[^\S\n]+{MONTH_PATTERN}|\d{{1,4}}[-/.]\d{{1,2}}[-/.]\d{{1,4}}"
    r"|\d+[^\S\n]*(?:minutes?|hours?|days?|weeks?|months?|years?)[^\S\n]+ago|today|yesterday).*",
    re.I,
)
# Poster statistics and roles printed in a post's header: what lies above them is the name.
_STAT = re.compile(
    r"(?:posts?|messages?|joined|registered|reputation|threads?|(?:[\w-]+[^\S\n]+)?members?|guest|moderator|"
    r"administrator|likes received|reaction score|points|trophy points|best answers)"
    r"(?:[^\S\n]*:.*)?|[\d,.]+[^\S\n]+(?:posts?|messages?)\b.*",
    re.I,
)
_FURNITURE = re.compile(
    r"reply|quote|reply with quote.*|like|report|share|find|top|click to expand\.\.\.|"
    r"add to quote|thread starter|op|view profile|reactions?:.*|.*\blikes? this\.|"
    r"save[^\S\n]+share|reply[^\S\n]+quote[^\S\n]+like|\d[\d,.]*"
    r"|\w",  # an avatar's initial
    re.I,
)
_ROLE_SUFFIX = re.compile(
    r"[^\S\n]+(?:(?:thread|discussion|topic)[^\S\n]+starter|op|well-known[^\S\n]+member|new[^\S\n]+member|active[^\S\n]+member|"
    r"senior[^\S\n]+member|member|guest|moderator|administrator)\Z",
    re.I,
)


@dataclass(slots=True)
class Thread:
    title: str | None
    author: str | None
    paragraphs: list[str]
    comments: list[ParsedComment]


@dataclass(slots=True)
class _Marker:
    line: int  # index of the marker line
    author: str | None
    author_line: int  # where the post's header starts (the previous post ends before it)
    text_from: int  # first line of the post's text


def split_forum_thread(text: str) -> Thread | None:
    """The thread, or None when the text does not read as one."""
    lines = text.split("\n")
    markers = (
        _numbered(lines)
        or _posted_by(lines)
        or _re_titled(lines)
        or _discourse(lines)
        or _invision(lines)
    )
    if markers is None or len(markers) < MIN_POSTS:
        return None
    posts: list[tuple[str | None, list[str]]] = []
    for index, marker in enumerate(markers):
        end = (
            markers[index + 1].author_line
            if index + 1 < len(markers)
            else _thread_end(lines, marker)
        )
        body = [
            line
            for line in lines[marker.text_from : end]
            if not _FURNITURE.fullmatch(line.strip())
            and not _DATEISH.fullmatch(line.strip())
            and not _POST_FURNITURE.fullmatch(line.strip())
        ]
        posts.append((marker.author, split_paragraphs("\n".join(body))))
    first_author, first = posts[0]
    if not first:
        return None
    starter = next((m["name"].strip() for line in lines if (m := _STARTER.fullmatch(line))), "")
    comments: list[ParsedComment] = []
    for author, paragraphs in posts[1:]:
        if paragraphs:
            comments.append(ParsedComment(len(comments) + 1, "\n\n".join(paragraphs), author))
    return Thread(
        title=_title(lines, markers),
        author=starter or first_author,
        paragraphs=first,
        comments=comments,
    )


def _title(lines: list[str], markers: list[_Marker]) -> str | None:
    above = [line.strip() for line in lines[: markers[0].line] if line.strip()]
    if markers[0].author:
        # Invision: the thread's heading (wrapped over lines at most 3), then "By <poster>[,]"
        byline = f"By {markers[0].author}"
        at = next(
            (i for i in range(markers[0].line) if lines[i].strip().rstrip(",") == byline), None
        )
        near = next((i for i in range((at or 0) - 1, -1, -1) if lines[i].strip()), None)
        if at and near is not None:
            heading = lines[near].strip()
            if len(heading.split()) <= 2 and near and lines[near - 1].strip():
                heading = f"{lines[near - 1].strip()} {heading}"  # a heading wrapped over lines
            return heading
    if _DISCOURSE.fullmatch(lines[markers[0].line].strip()) and len(above) >= 2:
        return above[1] if len(above) <= 3 else above[-2]
    for line in lines:
        match = _RE.fullmatch(line)
        if match:
            return normalise_space(match["title"])
    for index, line in enumerate(lines[: markers[0].line]):
        if _STARTER.fullmatch(line):
            previous = [ln.strip() for ln in lines[:index] if ln.strip()]
            return previous[-1] if previous else None
    return None


def _name_before(lines: list[str], start: int, stop: int) -> tuple[str | None, int]:
    """The poster's name in the header above lines[start], searched upwards (not past `stop`
    or a long line): the first name-like line above the statistics nearest the marker, else
    the nearest name-like line."""
    nearest: tuple[str, int] | None = None
    in_stats = False
    for position in range(start - 1, max(stop, start - 25) - 1, -1):
        line = lines[position].strip()
        if len(line) > 80:
            break
        if _STAT.fullmatch(line):
            in_stats = True
        elif _is_name(line):
            if in_stats:
                return _strip_role(line), position
            nearest = nearest or (_strip_role(line), position)
    return nearest if nearest else (None, start)


def _is_name(line: str) -> bool:
    # a user name: custom titles and signatures printed beside it are longer
    return (
        1 < len(line) <= 40
        and len(line.split()) <= 2
        and not _FURNITURE.fullmatch(line)
        and not _STAT.fullmatch(line)
        and not _DATEISH.fullmatch(line)
        and not line.endswith((".", "?", "!", ":", ","))
    )


def _strip_role(name: str) -> str:
    return _ROLE_SUFFIX.sub("", name).strip()


def _numbered(lines: list[str]) -> list[_Marker] | None:
    markers: list[_Marker] = []
    for index, line in enumerate(lines):
        match = _NUMBER.fullmatch(line.strip()) if "#" in line else None  # cheap test first
        if match is None or int(match["num"]) != len(markers) + 1:
            continue
        before, after = (match["before"] or "").strip(), (match["after"] or "").strip()
        after = "" if after.startswith("|") else after  # vBulletin's "#1 | Link"
        if (before and not _DIGIT.search(before)) or (after and not _DIGIT.search(after)):
            continue  # "#1" inside a sentence or a hashtag, not a post number
        stop = markers[-1].text_from if markers else 0
        if (before or after) and "·" not in line:
            # the date beside the number: the header (name, statistics) follows
            name_line = next(
                (i for i in range(index + 1, min(index + 4, len(lines))) if lines[i].strip()),
                index,
            )
            author = lines[name_line].strip() if name_line != index else None
            author_line = index
            text_from = name_line + 1
            while text_from < len(lines) and (
                not lines[text_from].strip()
                or _STAT.fullmatch(lines[text_from].strip())
                or _FURNITURE.fullmatch(lines[text_from].strip())
            ):
                text_from += 1
        else:
            author, author_line = _name_before(lines, index, stop)
            text_from = index + 1
        markers.append(_Marker(index, author, author_line, text_from))
    return markers if len(markers) >= MIN_POSTS else None


def _posted_by(lines: list[str]) -> list[_Marker] | None:
    markers = []
    for index, line in enumerate(lines):
        match = _POST_BY.fullmatch(line) if "»" in line else None
        if match:
            header = index - 1 if index and _RE.fullmatch(lines[index - 1]) else index
            markers.append(_Marker(index, match["name"].strip(), header, index + 1))
    return markers if len(markers) >= MIN_POSTS else None


def _re_titled(lines: list[str]) -> list[_Marker] | None:
    replies = [i for i, line in enumerate(lines) if "Re:" in line and _RE.fullmatch(line)]
    if not replies:
        return None
    title = normalise_space(lines[replies[0]].strip()[3:])
    # the last line holding the title before the first reply: the first post's own (the page
    # heading and breadcrumbs above it hold it too)
    first = next(
        (i for i in range(replies[0] - 1, -1, -1) if normalise_space(lines[i]) == title), None
    )
    if first is None:
        return None
    markers = []
    stop = 0
    for index in [first, *replies]:
        author, author_line = _name_before(lines, index, stop)
        markers.append(_Marker(index, author, author_line, index + 1))
        stop = index + 1
    return markers


# Discourse: "name Month D, YYYY, H:MMpm N", the post number last.
_DISCOURSE = re.compile(
    rf"(?P<name>\S{{1,40}})[^\S\n]+{MONTH_PATTERN}[^\S\n]+\d{{1,2}},[^\S\n]+\d{{4}},[^\S\n]+"
    r"\d{1,2}:\d{2}[^\S\n]?[ap]m[^\S\n]+(?P<num>\d{1,5})",
    re.I,
)


def _discourse(lines: list[str]) -> list[_Marker] | None:
    markers: list[_Marker] = []
    for index, line in enumerate(lines):
        match = _DISCOURSE.fullmatch(line.strip()) if line[-1:].isdigit() else None
        if match and int(match["num"]) == len(markers) + 1:
            markers.append(_Marker(index, match["name"], index, index + 1))
    return markers if len(markers) >= MIN_POSTS else None


# Invision Community: every post's header ends with "Posted <date>" ("Posted March 5, 2024",
# "Posted 2 hours ago", "Posted August 26 (edited)"). Many themes print the poster's name and
# "Posted <date>" twice: a short header, then the poster's card (the same name, role, counts,
# profile fields, signature) and "Posted <date>" again just above the text.
_POSTED = re.compile(r"Posted[^\S\n]+(?P<date>.{1,40}?)(?:[^\S\n]+\(edited\))?")
# A blog's "Posted March 5, 2024" lines are not enough: the page must also show Invision's own
# furniture, or print a post's header twice (name and date, then the card with the same name).
_INVISION_PAGE = re.compile(
    r"recommended[^\S\n]+posts|link[^\S\n]+to[^\S\n]+comment|share[^\S\n]+on[^\S\n]+other[^\S\n]+sites",
    re.I,
)
_TRAILING_COUNT = re.compile(r"[^\S\n]+[\d,.]+[kKmM]?\Z")
# Lines under an Invision or NodeBB post that are links and buttons, not its text.
_POST_FURNITURE = re.compile(
    r"link[^\S\n]+to[^\S\n]+(?:comment|post)|share[^\S\n]+on[^\S\n]+other[^\S\n]+sites|"
    r"more[^\S\n]+sharing[^\S\n]+options\.\.\.|recommended[^\S\n]+posts|followers[^\S\n]+\d+|"
    r"go[^\S\n]+to[^\S\n]+topic[^\S\n]+listing|https?://\S+|author|edited[^\S\n]+.{1,80}[^\S\n]+by[^\S\n]+.{1,60}",
    re.I,
)


def _is_posted(line: str) -> bool:
    stripped = line.strip()
    if not stripped.startswith("Posted"):
        return False  # cheap test first
    match = _POSTED.fullmatch(stripped)
    return (
        match is not None
        and _DIGIT.search(match["date"]) is not None
        and " by " not in match["date"]  # "Posted May 3, 2024 by admin": a blog's byline
    )


def _next_text_line(lines: list[str], index: int) -> int | None:
    return next((i for i in range(index + 1, min(index + 4, len(lines))) if lines[i].strip()), None)


def _invision(lines: list[str]) -> list[_Marker] | None:
    posted = [index for index, line in enumerate(lines) if "Posted" in line and _is_posted(line)]
    if len(posted) < MIN_POSTS:
        return None
    markers: list[_Marker] = []
    stop = 0
    position = 0
    doubled = False
    while position < len(posted):
        index = posted[position]
        name_at = next(
            (i for i in range(index - 1, max(stop, index - 3) - 1, -1) if lines[i].strip()), None
        )
        name = _TRAILING_COUNT.sub("", lines[name_at].strip()) if name_at is not None else ""
        card = _next_text_line(lines, index)
        if name and card is not None and lines[card].strip() == name and position + 1 < len(posted):
            # the short header: the post's text starts under the card's "Posted" line
            text_at = posted[position + 1]
            markers.append(
                _Marker(index, name, name_at if name_at is not None else index, text_at + 1)
            )
            position += 2
            doubled = True
        else:
            author, author_line = _name_before(lines, index, stop)
            markers.append(_Marker(index, author, author_line, index + 1))
            position += 1
        stop = markers[-1].text_from
    if len(markers) < MIN_POSTS:
        return None
    if not doubled and not any(
        len(line) < 40 and _INVISION_PAGE.fullmatch(line.strip()) for line in lines
    ):
        return None
    return markers


# What Invision prints under the last post: the page's footer follows it.
_THREAD_END = re.compile(r"go[^\S\n]+to[^\S\n]+topic[^\S\n]+listing", re.I)


def _thread_end(lines: list[str], last: _Marker) -> int:
    return next(
        (i for i in range(last.text_from, len(lines)) if _THREAD_END.fullmatch(lines[i].strip())),
        len(lines),
    )
