"""HTML pages -> one article: trafilatura finds the body; our own steps around it read the
title, byline, date and reader comments (see `page`)."""

from .page import HtmlArticle, parse_html

__all__ = ["HtmlArticle", "parse_html"]
