"""What an admin should look at before storing a parsed article: passages that look like a
heading or a footnote rather than text (pure; shown by the upload preview)."""

from __future__ import annotations

import re

from forumbot.domain.article import ParsedArticle

_MD_HEADING = re.compile(r"#{1,6}\s+\S")
# `[^1]: text`, `[1] text`, `^1 text`: a footnote definition written as text.
_FOOTNOTE = re.compile(r"(?:\[\^[\w-]{1,20}\]:?|\[\d{1,3}\]|\^\d{1,3})\s*\S")
_ENDS_SENTENCE = re.compile(r"[.!?…:;,\"'”’)\]]$")
# A template tag or a lone HTML element left in the text (`{% youtube … %}`, `<br>`).
_MARKUP = re.compile(r"\{%.*%\}|\{\{.*\}\}|<[^>]{1,200}>")
SHORT_HEADING_CHARS = 70
SHORT_HEADING_WORDS = 8
MAX_SUSPECTS = 10


def suspect_passages(article: ParsedArticle) -> list[tuple[int, str]]:
    """(passage number, why) for passages that look like a heading or a footnote definition."""
    found: list[tuple[int, str]] = []
    paragraphs = [p for p in article.paragraphs if p.strip()]
    for number, text in enumerate(paragraphs, start=1):
        line = " ".join(text.split())
        bare = line.strip("*_ ")  # "**A bold question?**" ends a sentence too
        if _MARKUP.fullmatch(line):
            found.append((number, "is markup, not text"))
        elif _MD_HEADING.match(line):
            found.append((number, "a Markdown heading became a passage"))
        elif _FOOTNOTE.match(line) and (line.startswith("[^") or number > len(paragraphs) - 10):
            found.append((number, "looks like a footnote"))
        elif (
            number < len(paragraphs)
            and "\n" not in text
            and len(line) <= SHORT_HEADING_CHARS
            and len(line.split()) <= SHORT_HEADING_WORDS
            and not _ENDS_SENTENCE.search(bare)
        ):
            found.append((number, "looks like a heading"))
        if len(found) >= MAX_SUSPECTS:
            break
    return found
