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
