"""Pages saved as text from a browser (the shapes of `w3m -dump` / "Save as text" of WordPress,
Blogger, Substack-style and forum pages; each written for this test, mirroring real saves):
a byline under the title is the author, a comment-section header starts the reader comments
and is never a passage."""

from __future__ import annotations

import pytest

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import parse_document
from forumbot.domain.ingest.bylines import byline_author

from .conftest import MAX

BODY = (
    "The harbour cranes moved again on Monday after a week of silence.\n\n"
    "Dockers said the first ship would leave on the evening tide, weather permitting.\n"
)


def parse(text: str, name: str = "saved.txt") -> ParsedArticle:
    (article,) = parse_document(name, text.encode(), max_bytes=MAX)
    return article


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("by Jane Doe and John Roe", "Jane Doe, John Roe"),
        ("Posted by Ned Okafor at 5:11 AM", "Ned Okafor"),
        ("Written by Jane Doe | March 5, 2020", "Jane Doe"),
        ("By Jane Doe, 3 May 2024", "Jane Doe"),
        ("Posted by Ines van der Berg on 12 May 2019", "Ines van der Berg"),
        ("By Friday the authority had conceded the first two points.", None),
        ("by the end of the day we left", None),
    ],
)
def test_byline_lines(line: str, author: str | None) -> None:
    assert byline_author(line) == author


def test_byline_under_the_title_is_the_author_not_a_passage() -> None:
    article = parse(f"Cranes restart\n\nBy Jane Doe and John Roe\n\n{BODY}")
    assert article.title == "Cranes restart"
    assert article.author == "Jane Doe, John Roe"
    assert article.paragraphs[0].startswith("The harbour cranes")


def test_wordpress_thoughts_header_says_entries_replies_and_the_reply_form() -> None:
    text = (
        f"Cranes restart\n\n{BODY}\n"
        "3 thoughts on “Cranes restart”\n\n"
        " 1. [a1b2c3] Ada Mensah says:\n    August 3, 2019 at 4:11 am\n\n"
        "    The night shift saw it.\n\n    Reply\n"
        "     1. [d4e5f6] Bo Lindqvist says:\n        August 5, 2019 at 1:46 pm\n\n"
        "        Agreed.\n\n        Reply\n"
        " 2. [a1b2c3] Anonymous says:\n    August 6, 2019 at 9:00 am\n\n    Good news.\n\n"
        "Leave a Reply Cancel reply\n\nYour email address will not be published.\n"
    )
    article = parse(text)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada Mensah", "The night shift saw it."),
        ("Bo Lindqvist", "Agreed."),
        (None, "Good news."),
    ]
    assert article.paragraphs[-1].startswith("Dockers said")


@pytest.mark.parametrize("header", ["12 Comments", "Comments (3)", "2 Comments:", "5 Responses"])
def test_comment_headers_start_the_comments(header: str) -> None:
    text = f"Cranes restart\n\n{BODY}\n{header}\n\nAda Mensah said...\nThe tugs were back too.\n"
    article = parse(text)
    assert all(header not in p for p in article.paragraphs)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada Mensah", "The tugs were back too.")
    ]


def test_name_on_date_entries() -> None:
    text = (
        f"Cranes restart\n\nBy Jane Doe\n\n{BODY}\n12 Comments\n\n"
        "Ada Mensah on 3 May 2024:\nThe tugs were back too.\n\n"
        "Bo Lindqvist wrote:\nAnd the pilots.\n"
    )
    article = parse(text)
    assert article.author == "Jane Doe"
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada Mensah", "The tugs were back too."),
        ("Bo Lindqvist", "And the pilots."),
    ]


def test_dated_list_entries_with_bulleted_replies() -> None:
    text = (
        f"Cranes restart\n\n{BODY}\n2 Comments\n\nComments are closed.\n\n"
        " 1. [71d] Jan Beek Jun 20th at 2:41 am\n\n    Is there a tour for visitors?\n\n"
        "    Like\n\n      □ [b38] Ada Mensah Jun 20th at 12:50 pm\n\n"
        "        On Saturdays, from the north gate.\n"
    )
    article = parse(text)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Jan Beek", "Is there a tour for visitors?"),
        ("Ada Mensah", "On Saturdays, from the north gate."),
    ]


def test_numbered_comments_signed_underneath() -> None:
    text = (
        f"Cranes restart\n\n{BODY}\n2 Comments »\n\n"
        " 1. When does the next shift start?\n\n    Comment by Ada Mensah — 17.07, 2011 @ 13:04\n\n"
        " 2. At six, as always.\n\n    Comment by Bo — 17.07, 2011 @ 13:10\n"
    )
    article = parse(text)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada Mensah", "When does the next shift start?"),
        ("Bo", "At six, as always."),
    ]


def test_a_header_word_inside_the_article_is_not_a_comment_section() -> None:
    text = f"Cranes restart\n\n{BODY}\nComments of the harbour master were not recorded.\n"
    article = parse(text)
    assert article.comments == ()
    assert article.paragraphs[-1] == "Comments of the harbour master were not recorded."


# -- whole pages as a browser gives their text: navigation first ------------------------------

NAV = "Skip to content\nMenu\nHome\nAbout\nShop\nSearch\n\n"
LONG = (
    "The harbour cranes moved again on Monday after a week of silence, and the dockers who had"
    " stood at the gates since the first of the month went back to the quays in the rain.\n\n"
    "The first ship, a feeder from Rotterdam, left on the evening tide with half its boxes.\n"
)


def test_navigation_above_the_title_is_dropped_and_the_run_together_byline_is_the_author() -> None:
    text = (
        f"{NAV}The cranes move again\n\n"
        "Posted on May 3, 2024    Posted byJane DoeMay 3, 2024    12 Comments\n\n"
        f"{LONG}\n"
        "2 Comments on “The cranes move again”\n"
        "Ada Okafor\nMay 3, 2024, 9:46 pm\n\nGood to see them moving.\n\nReply\n"
        "Ned\n2 days ago\n\nAbout time.\n\nLeave a comment\nName\nEmail\n"
    )
    article = parse(text)
    assert article.title == "The cranes move again"
    assert article.author == "Jane Doe"
    assert article.paragraphs[0].startswith("The harbour cranes moved again")
    assert not any("Skip to content" in p or "Comments on" in p for p in article.paragraphs)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada Okafor", "Good to see them moving."),
        ("Ned", "About time."),
    ]


def test_substack_style_title_subtitle_name_and_date() -> None:
    text = (
        "Subscribe\nSign in\n\nThe cranes move again\nWhat a week of silence cost the port\n"
        "Jane Doe\nMay 3, 2024\n\n"
        f"{LONG}\nDiscussion about this post\nComments\nRestacks\n"
        "Ada Okafor\n6d\nLiked by Jane Doe\n\nGood to see them moving.\n\nReply\nShare\n"
        "3 replies\nNed\n5dEdited\n\nAbout time.\n"
    )
    article = parse(text)
    assert (article.title, article.author) == ("The cranes move again", "Jane Doe")
    assert article.paragraphs[0] == "What a week of silence cost the port"
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada Okafor", "Good to see them moving."),
        ("Ned", "About time."),
    ]


def test_a_comment_counter_beside_the_byline_is_not_the_comment_section() -> None:
    article = parse(f"{NAV}The cranes move again\nby Jane Doe\n6 Comments\n\n{LONG}")
    assert article.author == "Jane Doe"
    assert article.comments == ()
    assert any(p.startswith("The harbour cranes") for p in article.paragraphs)


def test_blogger_run_together_name_and_date_entries() -> None:
    text = (
        f"{LONG}\n2 comments:\n"
        "AdaMarch 5, 2020 at 2:06 PM\n\nGood to see them moving.\n\nReplyDelete\nReplies\n"
        "Ned Okafor5 March 2020 at 10:12\n\nAbout time.\n\nPost a Comment\n"
    )
    article = parse(text)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada", "Good to see them moving."),
        ("Ned Okafor", "About time."),
    ]
    assert not any("About time" in p for p in article.paragraphs)


def test_prose_above_a_byline_like_line_is_never_dropped() -> None:
    text = f"{LONG}\nThe cranes move again\nBy Jane Doe\n\nA second piece follows here.\n"
    article = parse(text)
    assert any(p.startswith("The harbour cranes") for p in article.paragraphs)


def test_a_reply_form_is_not_comments_and_comments_below_it_are() -> None:
    form = "Leave a Reply\n\nYour email address will not be published.\n\nComment *\n\nName *\n\n"
    assert parse(f"{LONG}\n{form}Footer links\n").comments == ()
    article = parse(f"{LONG}\n{form}2 Comments\nAda says:\nat\nGood.\nNed says:\nAbout time.\n")
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada", "Good."),
        ("Ned", "About time."),
    ]


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        (
            "Published: Mar 8, 2024 · Modified: May 19, 2025 by Jane Doe · This post has links",
            "Jane Doe",
        ),
        ("By Jane Doe.  Last Updated on December 11, 2025", "Jane Doe"),
        ("ByJane Doe January 21, 2025January 12, 2026 Updated onJanuary 12, 2026", "Jane Doe"),
    ],
)
def test_saved_bylines_with_dates_and_notes(byline: str, author: str) -> None:
    text = f"{NAV}Home » Port » The cranes move again\nThe cranes move again\n{byline}\n\n{LONG}"
    article = parse(text)
    assert (article.title, article.author) == ("The cranes move again", author)


def test_a_one_word_menu_entry_above_a_by_line_is_not_a_title() -> None:
    text = f"{NAV}Popular\nBy Category\n\nThe cranes move again\nBy Jane Doe\n\n{LONG}"
    article = parse(text)
    assert (article.title, article.author) == ("The cranes move again", "Jane Doe")
