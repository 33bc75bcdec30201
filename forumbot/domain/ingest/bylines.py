"""A byline on its own line under a text page's title: "By Jane Doe", "by Jane Doe and John
Roe", "Posted by Jane Doe on 3 May 2024", "Written by Jane Doe | March 5, 2020"."""

from __future__ import annotations

import re

_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
_PARTICLE = r"(?:de|da|del|der|di|du|la|le|van|von|bin|al|el|ter)"
_NAME = rf"{_WORD}(?:[ ](?:{_PARTICLE}[ ]){{0,2}}{_WORD}){{0,4}}"
_BYLINE = re.compile(
    rf"(?:(?:[Pp]osted|[Ww]ritten|[Ww]ords|[Rr]eported|[Ss]tory|[Tt]ext)[ ]+)?(?:[Bb]y|BY):?[ ]+"
    rf"(?P<names>{_NAME}(?:(?:,[ ]*|[ ]+and[ ]+|[ ]*&[ ]*){_NAME}){{0,5}})"
    # an optional date or time after the names: "on 3 May 2024", "| March 5, 2020", "at 5:11 AM"
    r"(?:[ ]*[,|·•—–-]?[ ]*(?:on|at)?[ ]*[\w ,.:/-]{0,40}\d[\w ,.:/-]{0,40})?"
)
_SPLIT = re.compile(r",[ ]*|[ ]+and[ ]+|[ ]*&[ ]*")
# Names are capitalised words, so "By Friday the authority had conceded..." is prose.


def byline_author(line: str) -> str | None:
    """The author(s) named by a byline line ("A, B" for several), else None."""
    if "\n" in line or len(line) > 200:
        return None
    match = _BYLINE.fullmatch(line.strip())
    if match is None:
        return None
    names = [name.strip() for name in _SPLIT.split(match["names"]) if name.strip()]
    return ", ".join(names) or None


# -- a page saved as text from a browser: navigation, then the title, then its byline ------------

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
# The browser's text runs inline elements together: "ByShivya Nath", "Posted byDamien
# WalterDecember 30, 2024", "by Jeffrey ZeldmanNovember 20, 2007".
_SAVED_BYLINE = re.compile(
    r"(?:(?:Posted|Published|Updated)(?:[ ]+on)?:?[ ]+[^|]{1,60}?[ ]+)?"
    r"(?:(?:[Pp]osted|[Ww]ritten)[ ]*)?"
    r"(?:[Bb]y|BY)(?::[ ]*|[ ]+|(?=[A-Z]))"
    rf"(?P<names>{_NAME}(?:(?:,[ ]*|[ ]+and[ ]+|[ ]*&[ ]*){_NAME}){{0,3}})"
    r"(?P<rest>(?:[ ]*[|·•,—–-]|[ ]+(?:on|at|in|\d)|(?<=[a-z])\d|\d|[ ]*$).{0,160})?"
)
_GLUED_MONTH = re.compile(rf"(?<=[a-z])(?:{_MONTHS})\Z")
_SAVED_SPACE = re.compile(r"\s+")
_MONTH_WORD = re.compile(rf"(?:{_MONTHS})\.?")


def saved_byline_author(line: str) -> str | None:
    """The author named by a byline line of a page saved as text, where the browser may have
    run the byline's parts together, else None."""
    line = _SAVED_SPACE.sub(" ", line).strip()
    if not line or len(line) > 220:
        return None
    match = _SAVED_BYLINE.fullmatch(line)
    if match is None or match["rest"] is None:
        return None
    names = []
    for raw in _SPLIT.split(match["names"]):
        words: list[str] = []
        for word in raw.split():
            if _MONTH_WORD.fullmatch(word):
                break  # "Kathy Owen January 21, 2025": the date starts
            words.append(_GLUED_MONTH.sub("", word))
            if word.endswith(".") and len(word) > 2:
                break  # "By Jeff Cobb. Last Updated …": the sentence ends with the name
        name = " ".join(word for word in words if word).rstrip(".")
        if name:
            names.append(name)
    return ", ".join(names) or None
