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


# Some line reads "1. …": without one there is no numbered comment list (one C scan of the text
# spares splitting a large file into lines and testing each).
_FIRST_ITEM = re.compile(r"^[^\S\n]*1\.[^\S\n]+\S", re.MULTILINE)


def split_comments(text: str) -> tuple[str, list[ParsedComment]]:
    """(body text, comments). Without a comment tail the text comes back whole."""
    if _FIRST_ITEM.search(text) is None:
        return text, []
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


# -- comment sections that open with a header (pages saved as text from a browser) ----------------

# "5 Responses", "12 Comments", "One comment", "Comments (3)", "2 Comments:", "Comments",
# "5 thoughts on “Title”", "Leave a reply": a line of its own that starts the reader comments.
_COUNT = r"(?:\d{1,5}|no|one|two|three|four|five|six|seven|eight|nine|ten)"
_HEADER = re.compile(
    rf"(?:{_COUNT}[^\S\n]+(?:reader[^\S\n]+)?(?:comments?|responses?|replies|reactions?)"
    rf"(?:[^\S\n]+(?:on|to)[^\S\n]+.{{1,300}})?"
    rf"|(?:comments?|responses?)(?:[^\S\n]*\(\d{{1,5}}\))?|discussion[^\S\n]+about[^\S\n]+this[^\S\n]+post"
    rf"|{_COUNT}[^\S\n]+thoughts?[^\S\n]+on[^\S\n]+.{{1,300}}|leave[^\S\n]+a[^\S\n]+(?:reply|comment)"
    r"(?:[^\S\n]+cancel[^\S\n]+reply)?)[^\S\n]*[:»]?",
    re.IGNORECASE,
)
_FORM = re.compile(
    r"leave[^\S\n]+a[^\S\n]+(?:reply|comment).*|post[^\S\n]+a[^\S\n]+comment|"
    r"subscribe[^\S\n]+to:[^\S\n]+post[^\S\n]+comments.*|see[^\S\n]+all[^\S\n]+responses",
    re.IGNORECASE,
)
# A comment's date line under the commenter's name in a browser's text: "December 18, 2025,
# 9:46 pm", "March 8, 2021", "1 year ago", "6d", "6dEdited".
_DATE_UNDER_NAME = re.compile(
    rf"(?:{_DATE_LINE.pattern})(?:,?[^\S\n]+(?:at[^\S\n]+)?\d{{1,2}}[:.]\d{{2}}(?:[^\S\n]?[apAP]\.?[mM]\.?)?)?"
    r"|\d{1,3}[^\S\n]*(?:[smhdwy]|mo|mins?|minutes?|hours?|days?|weeks?|months?|years?)"
    r"(?:[^\S\n]+ago)?(?:[^\S\n]*edited)?",
    re.IGNORECASE,
)
# Blogger's run-together "AmySeptember 11, 2008 at 2:06 PM".
_GLUED_ENTRY = re.compile(
    rf"[^\S\n]*(?P<name>\S.{{0,60}}?)[^\S\n]*(?:{_MONTH}[^\S\n]\d{{1,2}},?[^\S\n]\d{{4}}|\d{{1,2}}[^\S\n]{_MONTH},?[^\S\n]\d{{4}})"
    r",?[^\S\n]+(?:at[^\S\n]+)?\d{1,2}[:.]\d{2}(?:[^\S\n]?[apAP]\.?[mM]\.?)?[^\S\n]*"
)
_CLOCK = re.compile(r"\d[:.]\d\d")
_FURNITURE_PATTERN = re.compile(
    r"\d[\d,.]*|\d+[^\S\n]+(?:replies|reply|likes?)|liked[^\S\n]+by[^\S\n]+.{1,60}|"
    r"like(?:liked[^\S\n]+by[^\S\n]+\d+[^\S\n]+(?:person|people))?|reply[^\S\n]+to[^\S\n]+comment|"
    r"(?:older|newer)[^\S\n]+comments|comments[^\S\n]+navigation|expand[^\S\n]+full[^\S\n]+comment|"
    r"replydelete|replies|delete|share|restacks?|commentsrestacks|oldest|newest(?:[^\S\n]+most[^\S\n]+voted)?|"
    r"inline[^\S\n]+feedbacks|view[^\S\n]+all[^\S\n]+comments|sort[^\S\n]+by.*",
    re.IGNORECASE,
)

# An entry's first line: "Ada says:", "  2. [avatar] Ada wrote:", "Ada on 3 May 2024:",
# "Ada said...".
_ENTRY = re.compile(
    r"[^\S\n]*(?:\d{1,4}\.[^\S\n]+)?(?:\[[^\]\n]{0,40}\][^\S\n]*)?"
    r"(?P<name>[^\s\[].{0,79}?)[^\S\n]+"
    rf"(?:(?:says|said|wrote|writes)[^\S\n]*(?::|\.\.\.|…)?|on[^\S\n]+(?:{_DATE_LINE.pattern})[^\S\n]*:)"
    r"[^\S\n]*"
)
# A list item (numbered, or a reply's bullet) whose line names the commenter and then dates the
# comment: "1. [avatar] Jan Beek Jun 20th at 2:41 am", "□ Ada 19. Juni 2018 um 15:28 Uhr".
_ITEM_START = re.compile(
    r"[^\S\n]*(?:\d{1,4}\.|[□☆•◦▪■*-])[^\S\n]+(?:\[[^\]\n]{0,40}\][^\S\n]*)?(?P<rest>.{0,150})"
)
_AVATAR_ONLY = re.compile(r"[^\S\n]*(?:\d{1,4}\.|[□☆•◦▪■*-])[^\S\n]+\[[^\]\n]{0,40}\][^\S\n]*")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_DATE_START = re.compile(rf"[^\S\n]+(?:on[^\S\n]+)?(?:\d|{_MONTH}[^\S\n]+\d)", re.IGNORECASE)
_NUMBERED = re.compile(r"[^\S\n]{0,3}\d{1,4}\.[^\S\n]+(?P<text>\S.*)")
# A signature under the comment: "Comment by Mirko Lange — 17.07, 2011 @ 13:04".
_SIGNED = re.compile(
    r"(?:comment|kommentar)[^\S\n]+(?:by|von)[^\S\n]+(?P<name>.{1,80}?)[^\S\n]+[—–-].*", re.I
)
_FURNITURE_LINE = frozenset(
    {
        "reply",
        "reply ↓",
        "report",
        "like",
        "log in to reply",
        "antworten",
        "comments are closed.",
        "at",  # "at": a comment's time line whose date was a script's
    }
)


# A header with no paragraph of article text (a line this long) above it is a counter beside
# the byline ("6 Comments"), not the comment section.
MIN_PARAGRAPH_CHARS = 80
# Header-like lines inside the text ("12 Comments" beside a post) each cost a look at the lines
# after them; a page has a handful. Past this many, only a header standing alone still counts,
# so a file of nothing but such lines stays within seconds (bench/bench_hostile.py).
MAX_HEADER_TRIES = 200


def split_comment_section(text: str) -> tuple[str, list[ParsedComment]] | None:
    """(body, comments) when a comment-section header line starts the reader comments after
    the article, else None. The header stands alone (blank lines around it) or is followed by a
    comment entry; it is never a passage; entries are comments with their authors; a
    "Leave a reply" line after them (the reply form) ends the section."""
    lines = text.split("\n")
    prose_before = text_before = False
    tries = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or not _HEADER.fullmatch(stripped):
            prose_before = prose_before or len(stripped) >= MIN_PARAGRAPH_CHARS
            text_before = text_before or bool(stripped)
            continue
        alone = (index == 0 or not lines[index - 1].strip()) and (
            index + 1 == len(lines) or not lines[index + 1].strip()
        )
        if not text_before:  # (the body is joined only once a header is taken: stays linear)
            text_before = True
            continue
        if not alone:
            if not prose_before or tries >= MAX_HEADER_TRIES:
                continue
            tries += 1
            if not _entry_follows(lines, index):
                continue
        body = "\n".join(lines[:index])
        comments = _section_comments(lines[index + 1 :])
        if _FORM.fullmatch(stripped) and all(c.author is None for c in comments):
            comments = []  # "Leave a comment" and the form's fields: no comments yet
        return body, comments
    return None


def _entry_follows(lines: list[str], index: int) -> bool:
    """A comment entry within the few lines after a header (furniture lines skipped)."""
    seen = 0
    for position in range(index + 1, min(index + 12, len(lines))):
        stripped = lines[position].strip()
        if not stripped or _FURNITURE_PATTERN.fullmatch(stripped) or _HEADER.fullmatch(stripped):
            continue
        if _entry_name(lines, position, False)[0] is not None:
            return True
        seen += 1
        if seen >= 2:
            return False
    return False


def _entry_name(lines: list[str], index: int, avatar: bool) -> tuple[str | None, int]:
    """(commenter, lines the entry's header takes) when lines[index] starts a comment."""
    line = lines[index]
    entry = _ENTRY.fullmatch(line)
    if entry:
        return entry["name"].strip(), 1
    glued = _GLUED_ENTRY.fullmatch(line) if _CLOCK.search(line) else None  # cheap test first
    if glued and not glued["name"].rstrip().endswith((".", "!", "?")):
        return glued["name"].strip(" ,|-–—"), 1
    name = _dated_name(line, avatar)
    if name:
        return name, 1
    stripped = line.strip()
    # a short name line with the comment's date on the next line
    if 0 < len(stripped) <= 60 and not stripped.endswith((".", "!", "?", ":", ",")):
        following = next(
            (p for p in range(index + 1, min(index + 3, len(lines))) if lines[p].strip()), None
        )
        if following is not None and _DATE_UNDER_NAME.fullmatch(lines[following].strip()):
            return stripped, following - index + 1
    return None, 1


def _section_comments(lines: list[str]) -> list[ParsedComment]:
    entries: list[tuple[str | None, list[str]]] = []
    avatar = False  # the previous line was an item holding only an avatar
    by_name = False  # entries start at "Name says:" / dated lines (numbers are then text)
    structured = False  # entries start at recognised lines (else: one comment per paragraph)
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if _FORM.fullmatch(stripped):
            break  # the reply form and whatever follows it
        name, taken = _entry_name(lines, index, avatar)
        avatar = _AVATAR_ONLY.fullmatch(line) is not None
        index += taken if name else 1
        if name or avatar:
            if name:
                entries.append((name, []))
                structured = by_name = True
            continue
        numbered = _NUMBERED.fullmatch(line)
        if numbered and not by_name:
            entries.append((None, [numbered["text"]]))  # an unnamed list of comments
            structured = True
            continue
        signed = _SIGNED.fullmatch(stripped)
        if signed and entries and entries[-1][0] is None:
            entries[-1] = (signed["name"].strip(), entries[-1][1])
            continue
        if stripped and _HEADER.fullmatch(stripped):
            if not structured:
                entries.clear()  # what came before the real header: the reply form's fields
            continue
        if (
            stripped.lower() in _FURNITURE_LINE
            or (stripped and _FURNITURE_PATTERN.fullmatch(stripped))
            or (entries and not any(entries[-1][1]) and _DATE_UNDER_NAME.fullmatch(stripped))
        ):
            continue
        if not entries:
            entries.append((None, []))
        entries[-1][1].append(stripped)
    comments: list[ParsedComment] = []
    for author, body in entries:
        paragraphs = split_paragraphs("\n".join(body))
        if not paragraphs:
            continue
        if structured:
            texts = ["\n\n".join(paragraphs)]
        else:
            texts = paragraphs  # no entry lines: each paragraph is a comment of its own
        for text in texts:
            comments.append(ParsedComment(len(comments) + 1, text, _author(author)))
    return comments


def _dated_name(line: str, after_avatar: bool) -> str | None:
    """The commenter of an entry line that names and dates a comment, else None."""
    item = _ITEM_START.fullmatch(line)
    rest = item["rest"] if item else (line.strip() if after_avatar else "")
    if not rest or len(rest) > 150 or not _TIME.search(rest):
        return None
    start = _DATE_START.search(rest)
    name = rest[: start.start()].strip(" ,-–—|") if start else ""
    return name if 0 < len(name) <= 80 else None


def _author(name: str | None) -> str | None:
    if name is None or name.lower() in ("anonymous", "anon", "guest", "unknown"):
        return None
    return name
