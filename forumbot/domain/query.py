"""Parse any user text into a neutral, safe search query.

Syntax: words, "quoted phrases", prefixes `term*`, the filters `author:"Jane Doe"` /
`author:doe` and `tag:x`, and `order:newest` (newest passages first instead of the most
relevant). Everything else is literal text: operators (`NOT`, `OR`, `NEAR`), column syntax
(`text:secret`), brackets and stray quotes carry no meaning.

Passages that hold every word rank first; the search then fills a page with passages that
hold most of them (marked partial). English stop words ("the", "of", "why") never have to
match unless the query has nothing else (`ranked_terms`); inside a phrase they count.
Nothing here raises on user input; a query with no searchable term is `is_empty` and the search
returns no results (callers may tell the user "type a word to search for").

Engines never see the raw text: storage.search compiles `SearchQuery` into an FTS5 expression
(each term quoted) or into bound PostgreSQL tsquery calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MAX_FILTER_CHARS = 200

_TOKEN = re.compile(
    r"""
    (?P<filter>(?<!\S)(?P<name>author|tag|order):(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s"]+)))
    | "(?P<phrase>[^"]*)"?
    | (?P<word>[^\s"]+)
    """,
    re.VERBOSE | re.IGNORECASE,
)
_ALNUM = re.compile(r"[^\W_]")
_PREFIX = re.compile(r"([^\W_]+)\*+")
# NUL ends an FTS5 string early and PostgreSQL rejects it; no control character means anything.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WORD = re.compile(r"[^\W_]+")

ORDER_RELEVANCE = "relevance"
ORDER_NEWEST = "newest"
ORDERS = (ORDER_RELEVANCE, ORDER_NEWEST)

# English function words: they match nearly every passage, so requiring them only hides good
# partial matches of a question typed as a sentence. (PostgreSQL's english configuration drops
# about the same list from its index.)
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "s",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "t",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One thing that must match. `text` holds at least one letter or digit; for a prefix term
    it is a single run of letters/digits."""

    text: str
    phrase: bool = False
    prefix: bool = False

    @property
    def is_stop_word(self) -> bool:
        """A plain word made only of stop words ("the", "who's"); phrases and prefixes never."""
        if self.phrase or self.prefix:
            return False
        words = _WORD.findall(self.text.lower())
        return bool(words) and all(word in STOP_WORDS for word in words)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    terms: tuple[QueryTerm, ...] = ()
    author: str | None = None
    tag: str | None = None
    order: str = ORDER_RELEVANCE

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def ranked_terms(self) -> tuple[QueryTerm, ...]:
        """The terms a passage must hold to match fully: the terms without stop words, or all
        of them when nothing else is left ("to be or not to be")."""
        content = tuple(term for term in self.terms if not term.is_stop_word)
        return content or self.terms


def _clean(value: str) -> str | None:
    value = " ".join(value.split())[:MAX_FILTER_CHARS]
    return value or None


def parse_query(text: str) -> SearchQuery:
    """Parse user text (never raises; see the module docstring for the syntax)."""
    text = _CONTROL.sub(" ", (text or "")[:MAX_QUERY_CHARS])
    terms: list[QueryTerm] = []
    author: str | None = None
    tag: str | None = None
    order = ORDER_RELEVANCE
    for match in _TOKEN.finditer(text):
        if match["filter"]:
            value = _clean(match["quoted"] if match["quoted"] is not None else match["bare"])
            name = match["name"].lower()
            if name == "author":
                author = value or author
            elif name == "tag":
                tag = value or tag
            elif value and value.lower() in ORDERS:
                order = value.lower()
            elif value:  # order:something-else is just text
                terms.append(QueryTerm(match["filter"]))
            continue
        if match["phrase"] is not None:
            term = QueryTerm(" ".join(match["phrase"].split()), phrase=True)
        else:
            word = match["word"]
            prefix = _PREFIX.fullmatch(word)
            term = QueryTerm(prefix[1], prefix=True) if prefix else QueryTerm(word)
        if _ALNUM.search(term.text) and term not in terms:
            terms.append(term)
    if len(terms) > MAX_TERMS:  # a long question: keep its content words first
        terms = [term for term in terms if not term.is_stop_word] or terms
    return SearchQuery(tuple(terms[:MAX_TERMS]), author=author, tag=tag, order=order)


def with_order(text: str, order: str) -> str:
    """`text` with its `order:` filter set to `order` (relevance drops it): what a search's
    "Newest first" / "Most relevant" button runs."""
    stripped = " ".join(
        part for part in (text or "").split() if not part.lower().startswith("order:")
    )
    if order == ORDER_NEWEST:
        return f"{stripped} order:newest".strip()
    return stripped
