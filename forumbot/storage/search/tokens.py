"""The tokens SQLite FTS5's 'porter unicode61 remove_diacritics 2' makes of text, computed in
Python: ranking lists are found by a query's tokens, and the word-pair index
(`forumbot.storage.search.pairs`) is filled from passages' tokens."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import snowballstemmer

_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_WORD = re.compile(r"[^\W_]+")  # runs of str.isalnum() characters
_ASCII_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return snowballstemmer.stemmer("porter")


def fold(word: str) -> str:
    """Lower case without diacritics (FTS5's remove_diacritics 2, near enough)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(raw: str) -> str:
    ascii_word = all(c in _TOKEN_CHARS for c in raw)
    return _stemmer().stemWord(raw) if ascii_word and len(raw) > 2 else raw


@lru_cache(maxsize=4096)
def index_tokens(value: str) -> tuple[str, ...]:
    """The tokens of `value` (Snowball's Porter, the same algorithm as FTS5's; where the two
    differ, a term's ranking list is not found and the search scores its matches instead)."""
    return tuple(_stem(raw) for raw in _WORD.findall(fold(value)))


class TextTokens:
    """`index_tokens` for whole passages at loading speed: each distinct word is stemmed once
    (a passage repeats most of its words from a small vocabulary)."""

    def __init__(self) -> None:
        self._stems: dict[str, str] = {}

    def __call__(self, value: str) -> list[str]:
        lowered = value.lower()
        if lowered.isascii():
            words = _ASCII_WORD.findall(lowered)
        else:
            words = _WORD.findall(fold(value))
        stems = self._stems
        tokens = []
        for word in words:
            token = stems.get(word)
            if token is None:
                token = stems[word] = _stem(word)
            tokens.append(token)
        if len(stems) > 200_000:  # a bound on memory over a huge load
            stems.clear()
        return tokens
