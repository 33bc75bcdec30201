"""Structures met on third-party pages (news sites, blogs, comment plugins) that our own
fixtures lacked. Every page here is a small synthetic reproduction written for the test."""

from __future__ import annotations

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import parse_document
from forumbot.domain.ingest.htmlparse import FLATTENED_WARNING

from .conftest import MAX


def parse_html_page(page: str, name: str = "page.html") -> ParsedArticle:
    (article,) = parse_document(name, page.encode(), max_bytes=MAX)
    return article


def test_nesting_deeper_than_the_recursion_limit() -> None:
    depth = 1500  # deeper than Python's default recursion limit, within libxml2's huge tree
    page = (
        "<html><body>"
        + "<div>" * depth
        + "<p>A paragraph at the bottom of a very deep tree.</p><p>And its neighbour.</p>"
        + "</div>" * depth
        + "</body></html>"
    )
    article = parse_html_page(page)
    assert article.paragraphs == (
        "A paragraph at the bottom of a very deep tree.",
        "And its neighbour.",
    )
    assert FLATTENED_WARNING not in article.warnings


def test_unclosed_tags_past_the_parser_depth_limit_keep_the_rest_of_the_page() -> None:
    # Thousands of never-closed <font> tags nest past libxml2's limit, which used to end the
    # parse there and lose everything after.
    page = (
        "<html><head><title>Old page</title></head><body><p>Opening words of the page.</p>"
        + "<font size=2>x " * 3000
        + "<p>Closing words that must not be lost.</p></body></html>"
    )
    article = parse_html_page(page)
    assert article.paragraphs[0] == "Opening words of the page."
    assert article.paragraphs[-1] == "Closing words that must not be lost."
    assert FLATTENED_WARNING in article.warnings
