"""Parse any user text into a neutral, safe search query.

Syntax: words (all must match), "quoted phrases", prefixes `term*`, and the filters
`author:"Jane Doe"` / `author:doe` and `tag:x`. Everything else is literal text: operators
(`NOT`, `OR`, `NEAR`), column syntax (`text:secret`), brackets and stray quotes carry no meaning.
Nothing here raises on user input; a query with no searchable term is `is_empty` and the search
returns no results (callers may tell the user "type a word to search for").

Engines never see the raw text: storage.search compiles `SearchQuery` into an FTS5 expression
(each term quoted) or into bound PostgreSQL tsquery calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 1000
MAX_TERMS = 16
MAX_FILTER_CHARS = 200

_TOKEN = re.compile(
    r"""
    (?P<filter>(?<!\S)(?P<name>author|tag):(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s"]+)))
    | "(?P<phrase>[^"]*)"?
    | (?P<word>[^\s"]+)
    """,
    re.VERBOSE | re.IGNORECASE,
)
_ALNUM = re.compile(r"[^\W_]")
_PREFIX = re.compile(r"([^\W_]+)\*+")
# NUL ends an FTS5 string early and PostgreSQL rejects it; no control character means anything.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One thing that must match. `text` holds at least one letter or digit; for a prefix term
    it is a single run of letters/digits."""

    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    terms: tuple[QueryTerm, ...] = ()
    author: str | None = None
    tag: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.terms


def _clean(value: str) -> str | None:
    value = " ".join(value.split())[:MAX_FILTER_CHARS]
    return value or None


def parse_query(text: str) -> SearchQuery:
    """Parse user text (never raises; see the module docstring for the syntax)."""
    text = _CONTROL.sub(" ", (text or "")[:MAX_QUERY_CHARS])
    terms: list[QueryTerm] = []
    author: str | None = None
    tag: str | None = None
    for match in _TOKEN.finditer(text):
        if match["filter"]:
            value = _clean(match["quoted"] if match["quoted"] is not None else match["bare"])
            if match["name"].lower() == "author":
                author = value or author
            else:
                tag = value or tag
            continue
        if match["phrase"] is not None:
            term = QueryTerm(" ".join(match["phrase"].split()), phrase=True)
        else:
            word = match["word"]
            prefix = _PREFIX.fullmatch(word)
            term = QueryTerm(prefix[1], prefix=True) if prefix else QueryTerm(word)
        if _ALNUM.search(term.text) and term not in terms:
            terms.append(term)
    return SearchQuery(tuple(terms[:MAX_TERMS]), author=author, tag=tag)
