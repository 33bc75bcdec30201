"""Recognising which archive passage a quoted message comes from (the "Find in archive" menu)."""

from __future__ import annotations

import re

_QUOTE_PREFIX = re.compile(r"^\s*(>>>|>)\s?")
_WORD = re.compile(r"\w+", re.UNICODE)


def quoted_text(content: str) -> str:
    """The quoted part of a message: its '>' lines if any (minus attribution), else all of it."""
    lines = content.splitlines()
    quoted = [_QUOTE_PREFIX.sub("", line) for line in lines if _QUOTE_PREFIX.match(line)]
    text = " ".join(quoted) if quoted else content
    text = re.sub(r"^\s*(\*\*)?¶\s*\d+(\*\*)?\s*", "", text)  # a leading passage number
    return " ".join(text.replace("**", "").replace("*", "").split())


def normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def search_terms(quote: str) -> str:
    """Words to search for: the first dozen, minus a last word that may have been cut ("…")."""
    words = normalise(quote).split()
    if len(words) > 12:
        return " ".join(words[:12])
    return " ".join(words[:-1] if len(words) > 4 else words)
