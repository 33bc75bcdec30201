"""Forum threads saved as text (a browser's text of the page; each written for this test in
the layouts forum software prints): the first post is the article, the replies its comments,
each with its poster; the navigation above the thread is not a passage."""

from __future__ import annotations

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import parse_document

from .conftest import MAX

NAV = "Home\nForums\nWhat's new\nLog in\nRegister\nSearch\n"


def parse(text: str) -> ParsedArticle:
    (article,) = parse_document("thread.txt", text.encode(), max_bytes=MAX)
    return article


def test_numbered_posts_with_poster_statistics() -> None:
    text = (
        f"{NAV}Allotment water rota for the dry months\n Thread starter quincegrower\n"
        " Start date May 2, 2024\nquincegrower\nJoined\nMar 1, 2019\nPosts\n212\nMay 2, 2024\n#1\n"
        "Who wants the early slot on Tuesdays? The butt by the shed runs dry by noon.\n\n"
        "I can take Thursdays myself.\nReply\nReactions: beanrow, Hal and 2 others\n"
        "beanrow\nMember\nJoined\nJun 5, 2021\nPosts\n40\nMay 2, 2024\n#2\n"
        "Tuesdays suit me, as long as someone covers the week of the show.\nReply\n"
        "H\nHal\nMay 3, 2024\n#3\nI'll cover the show week.\nReply\n"
    )
    article = parse(text)
    assert article.title == "Allotment water rota for the dry months"
    assert article.author == "quincegrower"
    assert article.paragraphs == (
        "Who wants the early slot on Tuesdays? The butt by the shed runs dry by noon.",
        "I can take Thursdays myself.",
    )
    assert [(c.author, c.text) for c in article.comments] == [
        ("beanrow", "Tuesdays suit me, as long as someone covers the week of the show."),
        ("Hal", "I'll cover the show week."),
    ]


def test_phpbb_post_by_lines() -> None:
    text = (
        f"{NAV}Board index\nCompost heat in winter\n3 posts • Page 1 of 1\n"
        "Post by marrowman » Sat Feb 24, 2024 12:41 pm\n"
        "Does anyone keep a heap warm through January?\nTop\n"
        "Re: Compost heat in winter\nPost by Ada Okafor » Sat Feb 24, 2024 5:12 pm\n"
        "Straw bales round it and a lid.\nTop\n"
        "Re: Compost heat in winter\nPost by marrowman » Sun Feb 25, 2024 9:02 am\n"
        "Thanks, trying it.\n"
    )
    article = parse(text)
    assert article.title == "Compost heat in winter"
    assert article.author == "marrowman"
    assert article.paragraphs == ("Does anyone keep a heap warm through January?",)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada Okafor", "Straw bales round it and a lid."),
        ("marrowman", "Thanks, trying it."),
    ]


def test_dated_post_numbers_with_the_poster_underneath() -> None:
    text = (
        f"{NAV}Switch to Threaded Mode\n11-29-2024, 09:03 AM #1\nfennel\nView Profile\n\n"
        "Is the north bed too shaded for leeks?\n Reply With Quote   0 \n"
        "11-29-2024, 01:50 PM #2\nOld Tom\nView Profile\n\nLeeks cope with shade.\n"
    )
    article = parse(text)
    assert article.author == "fennel"
    assert article.paragraphs == ("Is the north bed too shaded for leeks?",)
    assert [(c.author, c.text) for c in article.comments] == [("Old Tom", "Leeks cope with shade.")]


def test_a_hashtag_or_a_single_numbered_line_is_not_a_thread() -> None:
    text = "Notes\n\nWe tagged the photos #1 and #2 before the show.\n\n#1\nThe first bed.\n"
    article = parse(text)
    assert article.comments == ()
    assert "We tagged the photos #1 and #2 before the show." in article.paragraphs


def test_discourse_posts_name_date_and_number_on_one_line() -> None:
    text = (
        "Allotment Community\nWater rota for the dry months\nPlots Shared tools\n"
        "quincegrower June 2, 2024, 3:24pm 1\n\nWho wants the early slot on Tuesdays?\n\n"
        "beanrow June 2, 2024, 4:41pm 2\n\nTuesdays suit me.\n\n"
        "Hal June 3, 2024, 9:02am 3\n\nI'll cover the show week.\n"
    )
    article = parse(text)
    assert (article.title, article.author) == ("Water rota for the dry months", "quincegrower")
    assert article.paragraphs == ("Who wants the early slot on Tuesdays?",)
    assert [c.author for c in article.comments] == ["beanrow", "Hal"]


def test_a_custom_title_under_the_name_is_not_the_poster() -> None:
    text = (
        f"{NAV}Water rota\n Thread starter quincegrower\nquincegrower\nMay 2, 2024\n#1\n"
        "Who wants the early slot on Tuesdays?\nReactions: beanrow\n"
        "beanrow\nDigging since the spring of seventy-six\nPremium Member\nMay 2, 2024\n#2\n"
        "Tuesdays suit me.\n"
    )
    assert [c.author for c in parse(text).comments] == ["beanrow"]
