"""parse_query: any text becomes a neutral query; nothing is engine syntax."""

from __future__ import annotations

import pytest

from forumbot.domain.query import MAX_TERMS, QueryTerm, SearchQuery, parse_query


def terms(text: str) -> list[tuple[str, bool, bool]]:
    return [(t.text, t.phrase, t.prefix) for t in parse_query(text).terms]


def test_words_phrases_prefixes() -> None:
    assert terms('open "source code" licen*') == [
        ("open", False, False),
        ("source code", True, False),
        ("licen", False, True),
    ]


def test_filters() -> None:
    q = parse_query('author:"Jane  Doe" TAG:urban gardens')
    assert q == SearchQuery((QueryTerm("gardens"),), author="Jane Doe", tag="urban")
    assert parse_query("author:bob").is_empty
    # A filter name inside a word, or without a value, is just text.
    assert terms("coauthor:bob") == [("coauthor:bob", False, False)]
    assert parse_query("tag: x").tag is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("multi-agent", [("multi-agent", False, False)]),
        ("C++", [("C++", False, False)]),
        ("NOT AND", [("NOT", False, False), ("AND", False, False)]),
        ("text:secret", [("text:secret", False, False)]),
        ('unbalanced "quote here', [("unbalanced", False, False), ("quote here", True, False)]),
        ("C++*", [("C++*", False, False)]),  # not a prefix: only letters/digits may be
        ("日本語 café", [("日本語", False, False), ("café", False, False)]),
        ("a\x00b", [("a", False, False), ("b", False, False)]),
    ],
)
def test_literal_text(text: str, expected: list[tuple[str, bool, bool]]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "***", '""', "!!! ??? ...", "💩🌱", "((( )))", "_"])
def test_nothing_searchable_is_empty(text: str) -> None:
    assert parse_query(text).is_empty


def test_long_input_is_bounded() -> None:
    q = parse_query(" ".join(f"w{i}" for i in range(5000)))
    assert len(q.terms) == MAX_TERMS
    assert len(parse_query("x" * 100_000).terms[0].text) <= 1000
    assert terms("same same SAME") == [("same", False, False), ("SAME", False, False)]
