"""Structures met on third-party pages (news sites, blogs, comment plugins) that our own
fixtures lacked. Every page here is a small synthetic reproduction written for the test."""

from __future__ import annotations

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import parse_document
from forumbot.domain.ingest.html.parse import FLATTENED_WARNING

from .conftest import MAX


def parse_html_page(page: str, name: str = "page.html") -> ParsedArticle:
    (article,) = parse_document(name, page.encode(), max_bytes=MAX)
    return article


def test_nesting_deeper_than_the_recursion_limit() -> None:
    # Deeper than Python's recursion limit (and than any real page): flattened, text kept.
    depth = 1500
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
    assert FLATTENED_WARNING in article.warnings


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


# Pages hold more than one sentence; below about 100 characters of text trafilatura treats a
# page as having no main text and falls back to all of its text.
FIRST = "The harbour cranes moved again on Monday after a week of silence."
SECOND = "Dockers said the first ship would leave on the evening tide, weather permitting."
BODY = f"<p>{FIRST}</p><p>{SECOND}</p>"


def test_site_name_suffix_is_cut_from_the_document_title() -> None:
    page = (
        "<html><head><title>Cranes restart after the strike | Portside Weekly</title></head>"
        f"<body>{BODY}</body></html>"
    )
    assert parse_html_page(page).title == "Cranes restart after the strike"


def test_og_title_loses_the_declared_site_name() -> None:
    page = (
        "<html><head><meta property='og:site_name' content='Portside'>"
        "<meta property='og:title' content='Cranes restart - Portside'></head>"
        f"<body>{BODY}</body></html>"
    )
    assert parse_html_page(page).title == "Cranes restart"


def test_title_matching_a_heading_keeps_only_the_story_part() -> None:
    # The story heading sits in the article header (furniture), the logo in the page header.
    page = (
        "<html><head><title>Tide tables explained | Guides | Portside</title></head><body>"
        "<header><h1>Portside</h1></header><main><article><header><h2>Tide tables explained"
        f"</h2></header>{BODY}</article></main></body></html>"
    )
    assert parse_html_page(page).title == "Tide tables explained"


def test_a_headline_that_contains_a_separator_is_kept_whole() -> None:
    page = (
        "<html><head><title>Cranes, winches and tugs - a field guide</title></head><body>"
        f"<h2>Cranes, winches and tugs - a field guide</h2>{BODY}</body></html>"
    )
    assert parse_html_page(page).title == "Cranes, winches and tugs - a field guide"


def test_titles_without_a_site_part_are_left_alone() -> None:
    for title in ("Self-driving ships are coming", "About | Portside", "Time: a history of docks"):
        page = f"<html><head><title>{title}</title></head><body>{BODY}</body></html>"
        assert parse_html_page(page).title == title


def test_camel_case_byline_class_with_a_date_gives_the_name() -> None:
    page = (
        "<html><body><div class='ArticleText'><h2>Dock cranes</h2>"
        "<div class='FeatureByline'> By <b>Ines Okafor</b><br/>March 25, 2015 </div>"
        f"{BODY}</div></body></html>"
    )
    assert parse_html_page(page).author == "Ines Okafor"


def test_byline_separators_contact_urls_and_posted_by_are_trimmed() -> None:
    cases = {
        "<span itemprop='author'>Ines Okafor —</span>": "Ines Okafor",
        "<p class='byline'>Posted by Ines Okafor | 14 March 2019</p>": "Ines Okafor",
        "<p class='byline'>Ines Okafor (https://okafor.example.net/)</p>": "Ines Okafor",
        "<p class='byline'>Ines Okafor, 2019-03-14</p>": "Ines Okafor",
    }
    for byline, name in cases.items():
        page = f"<html><body><article>{byline}{BODY}</article></body></html>"
        assert parse_html_page(page).author == name, byline


def test_meta_author_with_a_homepage_url_is_just_the_name() -> None:
    page = (
        "<html><head><meta name='author' content='Ines Okafor (http://okafor.example.net/)'>"
        f"</head><body>{BODY}</body></html>"
    )
    assert parse_html_page(page).author == "Ines Okafor"


def test_a_long_author_box_is_not_a_byline() -> None:
    bio = (
        "Ines writes about ports, shipping and the people who work on the docks, and has done"
        " so for twenty years from a small office above the harbour."
    )
    page = f"<html><body><article>{BODY}<div class='author-bio'>{bio}</div></article></body></html>"
    assert parse_html_page(page).author is None


def test_compound_class_names_of_share_and_related_blocks_are_furniture() -> None:
    page = (
        "<html><body><article><div class='entry-content'>"
        f"{BODY}<p>A second paragraph of the story itself.</p>"
        "<div class='sharedaddy sd-block'><h3>Pass it on:</h3><ul><li>Mail</li></ul></div>"
        "<div id='jp-relatedposts' class='jp-relatedposts'><h3>Further reading</h3>"
        "<p class='jp-relatedposts-post-excerpt'>An older story about the port.</p></div>"
        "<div class='socialbar'>Follow the port</div>"
        "</div></article></body></html>"
    )
    article = parse_html_page(page)
    assert article.paragraphs == (
        FIRST,
        SECOND,
        "A second paragraph of the story itself.",
    )


def test_a_wrapper_named_after_its_sidebar_is_still_the_body() -> None:
    page = (
        "<html><body><div id='sidebar'><p>Archive links and a tag cloud.</p></div>"
        f"<div id='contentWithSidebar'><div id='post'><h1>Dock story</h1>{BODY}"
        "<p>More of the story.</p></div></div></body></html>"
    )
    assert parse_html_page(page).paragraphs == (
        FIRST,
        SECOND,
        "More of the story.",
    )


def test_plugin_comments_found_by_numbered_ids_with_replies_nested_in_divs() -> None:
    # A comment plugin's markup: no `comment` class, numbered ids, replies nested in plain divs,
    # author blocks with avatar, separator and permalink, report and reply links.
    def item(number: int, author: str, text: str, replies: str = "") -> str:
        return (
            f"<div id='comment-{number}'><article id='div-comment-{number}' class='xc-body'>"
            "<footer class='xc-meta'><div class='xc-comment-author'>"
            "<div class='xc-comment-author-avatar'><img src='a.png'></div>"
            f"{author}<span class='xc-divide'>·</span><a href='/story#comment-{number}'>"
            "<time>May 2, 2020 at 9:15 AM</time></a></div></footer>"
            f"<div class='xc-content'><p>{text}<span class='xc-report-link'><a>Report</a>"
            "</span></p></div><ul class='xc-actions'><li class='xc-reply'><a>Reply</a></li></ul>"
            f"</article>{replies}</div>"
        )

    replies = "<div class='xc-child'>" + item(12, "<a href='/u/b'>Bo Lindqvist</a>", "Agreed.")
    replies += "</div>"
    page = (
        f"<html><body><article>{BODY}</article><div class='comments-area'><h3>2 comments</h3>"
        + item(
            11, "<a href='/u/a'>Ada Mensah (harbour pilot)</a>", "The night shift saw it.", replies
        )
        + item(13, "Cato", "Unsigned but named.")
        + "</div></body></html>"
    )
    article = parse_html_page(page)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ada Mensah (harbour pilot)", "The night shift saw it."),
        ("Bo Lindqvist", "Agreed."),
        ("Cato", "Unsigned but named."),
    ]
    assert article.paragraphs == (FIRST, SECOND)


def test_comment_author_block_with_floor_number_and_reply_link() -> None:
    page = (
        f"<html><body><div class='post'>{BODY}</div><ol class='commentlist'>"
        "<li class='comment' id='comment-45'><div id='div-comment-45' class='comment-body'>"
        "<div class='comment-author vcard'><img src='a.png'><div class='floor'>18th</div>"
        "<strong><a href='https://example.org'>Wen Jie</a></strong> <span class='commentmetadata'>"
        "<a class='comment-reply-link' href='/p?replytocom=45#respond'>[reply]</a></span></div>"
        "<span class='datetime'>Post: 2014-02-15 11:51 pm</span><p>Worth thinking about.</p>"
        "</div></li></ol></body></html>"
    )
    (comment,) = parse_html_page(page).comments
    assert (comment.author, comment.text) == ("Wen Jie", "Worth thinking about.")


def test_signature_cite_inside_a_header_paragraph_is_the_author() -> None:
    page = (
        f"<html><body><main>{BODY}</main><section id='comments'><ol>"
        "<li class='comment' id='comment-7'><p class='entry-title vcard'>"
        "<cite class='author fn'>Ada Mensah</cite> <span class='comment-meta'>wrote on"
        " <a href='#comment-7'>March 11th</a>:</span></p>"
        "<blockquote class='entry-content'><p>When does the next shift start?</p></blockquote>"
        "</li></ol></section></body></html>"
    )
    (comment,) = parse_html_page(page).comments
    assert (comment.author, comment.text) == ("Ada Mensah", "When does the next shift start?")


def test_br_breaks_in_a_paragraph_keep_lists_and_split_paragraphs() -> None:
    page = (
        "<html><body><div class='post'><p>Changes in this release:<br />+ New crane"
        " controls<br />+ Quieter winches<br />* Faster unloading<br />- Removed the old"
        " horn<br /><br /></p><div>First old-style paragraph, no p tags,\nacross a source"
        " newline<br>and a single line break.<br><br>Second old-style paragraph.</div>"
        "</div></body></html>"
    )
    assert parse_html_page(page).paragraphs == (
        "Changes in this release:\n+ New crane controls\n+ Quieter winches\n"
        "* Faster unloading\n- Removed the old horn",
        "First old-style paragraph, no p tags, across a source newline and a single line break.",
        "Second old-style paragraph.",
    )


def test_bracketed_site_tag_after_the_title_is_dropped() -> None:
    for raw in ("Harbour notes for May [Portside]", "Harbour notes for May　＜Portside Weekly＞"):
        page = f"<html><head><title>{raw}</title></head><body>{BODY}</body></html>"
        assert parse_html_page(page).title == "Harbour notes for May", raw


def test_layout_table_cells_read_as_blocks_and_heading_permalinks_are_dropped() -> None:
    # A page laid out in a table: each cell's paragraphs are passages of their own (not one
    # run-on line of cells), and the heading's "#" self-link is not part of its text. Which
    # cells are furniture is trafilatura's call; it keeps this unmarked side column.
    page = (
        "<html><body><table><tr><td class='l'><p>Side column text that is not the story.</p>"
        "</td><td>"
        "<h2>Cranes again <a href='#cranes' class='bookmark'>#</a></h2>"
        f"{BODY}<p>Source files: <a href='/a'>cranes.csv</a>, <a href='/b'>tugs.csv</a></p>"
        "<table><tr><td><a href='/x'>Tide tables</a> | <a href='/y'>Pilot rota</a> |"
        " <a href='/z'>Berth map</a></td></tr></table>"
        "<p>The night shift worked until dawn and the first ship left at six.</p>"
        "<div>Read more: <a href='/p1'>The strike, day one</a>, <a href='/p2'>day two</a></div>"
        "</td></tr></table></body></html>"
    )
    paragraphs = parse_html_page(page).paragraphs
    assert paragraphs[1:6] == (
        "Cranes again",
        FIRST,
        SECOND,
        "Source files: cranes.csv, tugs.csv",  # a sentence with links is prose
        "The night shift worked until dawn and the first ship left at six.",
    )
    assert not any("#" in p for p in paragraphs)


def test_definition_list_comments_of_the_classic_blog_template() -> None:
    page = (
        f"<html><body><div class='post'>{BODY}</div><div id='comments'><h4>2 Comments:</h4>"
        "<dl id='comments-block'>"
        "<dt class='comment-author' id='c101'><a name='c101'></a>Ines Okafor said...</dt>"
        "<dd class='comment-body'><p>The tugs were back too.</p></dd>"
        "<dd class='comment-footer'><span class='comment-timestamp'>"
        "<a href='#c101'>3 May 2011 10:02</a></span></dd>"
        "<dt class='comment-author' id='c102'><a name='c102'></a>Anonymous said...</dt>"
        "<dd class='comment-body'><p>Good news for the town.</p></dd>"
        "<dd class='comment-footer'>4 May 2011 08:15</dd>"
        "</dl><p class='comment-timestamp'><a href='/post-comment'>Post a Comment</a></p>"
        "</div></body></html>"
    )
    article = parse_html_page(page)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Ines Okafor", "The tugs were back too."),
        (None, "Good news for the town."),
    ]
    assert article.paragraphs == (FIRST, SECOND)


def test_elements_hidden_by_inline_style_are_left_out() -> None:
    page = (
        f"<html><body><article>{BODY}"
        "<div style='height: 55px; display: none;'>Loading likes...</div>"
        "<p style='visibility:hidden'>Leave this field empty</p>"
        "<p style='display:block'>A visible closing line.</p></article></body></html>"
    )
    assert parse_html_page(page).paragraphs == (
        FIRST,
        SECOND,
        "A visible closing line.",
    )


def test_json_ld_declares_author_and_date_when_the_markup_does_not() -> None:
    declared = (
        '{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebSite", "name": "Portside"},'
        '{"@type": "NewsArticle", "headline": "Cranes restart",'
        ' "datePublished": "2021-06-02T07:30:00+01:00",'
        ' "author": [{"@type": "Person", "name": "Ines Okafor"}, {"name": "Bo Lindqvist"}]}]}'
    )
    page = (
        f"<html><head><script type='application/ld+json'>{declared}</script>"
        "<script type='application/ld+json'>{not json</script></head>"
        f"<body><div class='story'>{BODY}</div></body></html>"
    )
    article = parse_html_page(page)
    assert (article.author, article.date) == ("Ines Okafor, Bo Lindqvist", "2021-06-02")
    assert article.paragraphs == (FIRST, SECOND)


def test_space_separated_meta_properties_and_dublin_core_creator() -> None:
    page = (
        "<html><head><title>Untitled document</title>"
        "<meta property='og:title twitter:title' content='Cranes restart'>"
        "<meta property='dc:creator twitter:creator' content='Ines Okafor'>"
        f"</head><body>{BODY}</body></html>"
    )
    article = parse_html_page(page)
    assert (article.title, article.author) == ("Cranes restart", "Ines Okafor")


def test_a_camel_case_byline_block_is_not_body_text() -> None:
    page = (
        "<html><body><div class='ArticleText'><div class='FeatureByline'>By <b>Ines Okafor</b>"
        f"<br>March 25, 2015</div>{BODY}</div></body></html>"
    )
    article = parse_html_page(page)
    assert article.author == "Ines Okafor"
    assert article.paragraphs == (FIRST, SECOND)


def test_author_box_headings_and_counters_are_not_names() -> None:
    page = (
        f"<html><body><article>{BODY}<h4 class='author-title'>About the author</h4>"
        "<span class='post-author-count'>13</span></article></body></html>"
    )
    assert parse_html_page(page).author is None


def test_items_of_a_comment_list_without_comment_classes() -> None:
    page = (
        f"<html><body><div class='note'>{BODY}</div><div id='comments'>"
        "<ul class='comment-list'>"
        "<li><div class='comment-content'><p>First reader note.</p></div>"
        "<span><a href='?cid=1#add_comment' class='lnk-reply'>answer</a></span></li>"
        "<li><div class='comment-content'><p>Second reader note.</p></div></li>"
        "</ul></div></body></html>"
    )
    article = parse_html_page(page)
    assert [c.text for c in article.comments] == ["First reader note.", "Second reader note."]


def test_comment_item_whose_text_block_has_a_report_class() -> None:
    page = (
        f"<html><body><div class='post'>{BODY}</div><div id='comments'>"
        "<div class='comment-item'><div class='pic'><a href='/u/7'><img src='a.png'></a></div>"
        "<div class='content report-comment'><div class='author'><span>2014-10-12 16:14</span>"
        " <a href='/u/7'>Wen Jie</a> (dock fan)</div><p>Great photos of the cranes.</p></div>"
        "</div></div></body></html>"
    )
    (comment,) = parse_html_page(page).comments
    assert (comment.author, comment.text) == ("Wen Jie", "Great photos of the cranes.")


def test_captions_credits_and_kickers_never_become_passages() -> None:
    page = (
        "<html><body><article><div class='kicker'>Harbour</div><h1>Cranes restart</h1>"
        "<figure><img src='c.jpg'><figcaption>The cranes at dawn.</figcaption></figure>"
        "<span class='photo-credit'>Photo: Ada Mensah</span>"
        f"{BODY}<p class='image-caption'>A tug in the outer basin.</p></article></body></html>"
    )
    assert parse_html_page(page).paragraphs == (FIRST, SECOND)
