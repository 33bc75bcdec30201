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


def test_order_and_stop_words() -> None:
    from forumbot.domain.query import ORDER_NEWEST, ORDER_RELEVANCE, with_order

    assert parse_query("party").order == ORDER_RELEVANCE
    q = parse_query("Order:NEWEST party")
    assert q.order == ORDER_NEWEST and terms("order:newest party") == [("party", False, False)]
    assert terms("order:oldest") == [("order:oldest", False, False)]  # not an order: text
    assert with_order("party order:newest", ORDER_RELEVANCE) == "party"
    assert with_order("party", ORDER_NEWEST) == "party order:newest"
    assert parse_query(with_order("a b", ORDER_NEWEST)).order == ORDER_NEWEST
    # Stop words never have to match, unless nothing else is left; phrases keep theirs.
    question = parse_query("Why did the party split over internationalism?")
    assert [t.text for t in question.ranked_terms] == ["party", "split", "internationalism?"]
    assert [t.text for t in parse_query("to be or not").ranked_terms] == ["to", "be", "or", "not"]
    assert [t.text for t in parse_query('"of the party" the').ranked_terms] == ["of the party"]
    # A long question keeps its content words within MAX_TERMS.
    from forumbot.domain.query import STOP_WORDS

    long = parse_query(" ".join([*sorted(STOP_WORDS)[:40], "alpha", "beta"]))
    assert [t.text for t in long.ranked_terms] == ["alpha", "beta"]
    assert len(long.terms) == 2
