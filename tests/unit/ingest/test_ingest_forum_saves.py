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


IPB_NAV = "Jump to content\nExisting user? Sign In\nHome\nForums\nGarden Tools\n"


def test_invision_posts_with_a_short_header_and_the_posters_card() -> None:
    # the theme prints "Name / Posted <date>", then the card: the same name, role, counts,
    # profile fields and signature, and "Posted <date>" again above the text
    text = (
        f"{IPB_NAV}Which hose reel survives a frost?\n\nBy quincegrower\n"
        "March 19, 2024 in Garden Tools\n\n Share\nMore sharing options...\nFollowers 0\n"
        "Recommended Posts\nquincegrower\nPosted March 19, 2024\nquincegrower\nMembers\n12\n"
        "Posted March 19, 2024\n\nMine cracked twice last winter. Does anyone drain theirs?\n\n"
        " Share\nLink to comment\nbeanrow 4\nPosted March 20, 2024\nbeanrow\nMembers\n1.2k\n"
        "Location:Leeds\nAllotment 14, the one with the shed\nPosted March 20, 2024 (edited)\n\n"
        "Drain it and hang it indoors; the metal ones last.\n\n Share\n"
        "Hal\nPosted March 21, 2024\nHal\nMembers\n3\nPosted March 21, 2024\n\nSame here.\n"
        "Go to topic listing\nPowered by Invision Community\n"
    )
    article = parse(text)
    assert article.title == "Which hose reel survives a frost?"
    assert article.author == "quincegrower"
    assert article.paragraphs == ("Mine cracked twice last winter. Does anyone drain theirs?",)
    assert [(c.author, c.text) for c in article.comments] == [
        ("beanrow", "Drain it and hang it indoors; the metal ones last."),
        ("Hal", "Same here."),
    ]


def test_invision_posts_with_one_header_each() -> None:
    text = (
        f"{IPB_NAV}Editing bench for a small shed\nBy quincegrower\nMay 22, 2024 in Garden Tools\n"
        "quincegrower\nMember\n5\nPosted May 22, 2024 (edited)\n"
        "Looking for a bench that folds flat against the wall.\n"
        "Link to comment\nShare on other sites\nMore sharing options...\n"
        "Hal Wicks\nMember\nMember\n42.4k\n1,357\nPosted May 22, 2024\n"
        "The pine ones warp; get oak.\nLink to comment\nShare on other sites\n"
    )
    article = parse(text)
    assert article.title == "Editing bench for a small shed"
    assert article.author == "quincegrower"
    assert article.paragraphs == ("Looking for a bench that folds flat against the wall.",)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Hal Wicks", "The pine ones warp; get oak.")
    ]


def test_posted_dates_of_a_blog_are_not_an_invision_thread() -> None:
    text = (
        "Notes from the plot\n\nPosted March 19, 2024\n\n"
        "The beans are in and the frost held off for once, which nobody expected this year.\n\n"
        "Posted March 26, 2024\n\n"
        "The slugs found the lettuce. Copper tape helped a little but not enough to matter.\n"
    )
    (article,) = parse_document("blog.txt", text.encode(), max_bytes=MAX)
    assert article.comments == ()
    assert any("slugs" in p for p in article.paragraphs)
