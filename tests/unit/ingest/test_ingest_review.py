"""Suspect passages shown in the upload preview: headings, footnotes and markup that became
passages; ordinary short sentences are left alone."""

from __future__ import annotations

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest.review import suspect_passages


def article(*paragraphs: str) -> ParsedArticle:
    return ParsedArticle(key="k", title="T", paragraphs=paragraphs)


def test_suspects_are_found_and_explained() -> None:
    found = suspect_passages(
        article(
            "An opening sentence that is plainly text.",
            "Methods",
            "## Results",
            "{% youtube abc123 %}",
            "**Can you explain what it is?**",
            "Yes. It is a thing.",
            "[^1]: A footnote definition left as text.",
            "[2] Smith, 2020, p. 4.",
        )
    )
    assert found == [
        (2, "looks like a heading"),
        (3, "a Markdown heading became a passage"),
        (4, "is markup, not text"),
        (7, "looks like a footnote"),
        (8, "looks like a footnote"),
    ]


def test_plain_prose_is_not_suspect() -> None:
    prose = article(
        "We met on Monday.",
        "Short, but a sentence.",
        "1. A numbered list item\n2. and another",
        "The last paragraph may be short",
    )
    assert suspect_passages(prose) == []
