"""Property tests: whatever bytes or text the front-matter, Markdown, text and HTML parsers
get, nothing but IngestError escapes, and what comes back is sane. Example counts are bounded
so the suite stays fast."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import IngestError, parse_document

from .conftest import MAX

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that steer the parsers into their interesting paths.
FRONT = st.sampled_from(
    ["---\n", "title: x\n", "tags: [a, b]\n", "date: 2024-02-30\n", "a: &a [1]\n", "b: *a\n",
     "shape: digest\n", "id: 42\n", "author: {x: 1}\n", "tags: " + "[" * 30 + "\n", "...\n"]
)  # fmt: skip
TEXT = st.sampled_from(
    ["\n", "\n\n\n", "  1. Ada says:\n", "    Yes.\n", "By Jane Doe\n", "12 Comments\n",
     "Leave a reply\n", "# Heading\n", "```\n", "- item\n", "A headline\n", "…\n",
     "A long sentence that goes on for quite a while, as teasers do. " * 3 + "\n",
     "Comment by Bo — 17.07, 2011 @ 13:04\n", " 2. [ab] Bo Jun 20th at 2:41 am\n", "\u200b\u00a0\t"]
)  # fmt: skip
HTML = st.sampled_from(
    ["<p>", "</p>", "<div class='comment'>", "</div>", "<li class='comment' id='comment-1'>",
     "<ol class='commentlist'>", "<script type='application/ld+json'>", "{\"author\": [",
     "</script>", "<title>A | B</title>", "<meta name=author content='By X'>", "<br>", "<table>",
     "<td>", "<article>", "<h1>", "<ul><li>", "<!--", "-->", "<?xml version='1.0'?>",
     "<figcaption>", "<a href='#'>#</a>", "<div style='display:none'>", "&amp;", "&#0;"]
)  # fmt: skip
# Pages saved from a browser: navigation, bylines, comment entries, forum post headers.
SAVED = st.sampled_from(
    ["Skip to content\n", "The cranes move again\n", "ByJane DoeMay 3, 2024\n",
     "Posted on May 3, 2024 Posted by Jane Doe 12 Comments\n", "Jane Doe\n", "6 min read\n",
     "2 Comments on “x”\n", "Ada\n", "May 3, 2024, 9:46 pm\n", "6dEdited\n",
     "AdaMarch 5, 2020 at 2:06 PM\n", "Discussion about this post\n", "Reply\n", "#1\n", "#2\n",
     "#3 · Jun 4, 2024\n", "11-29-2024, 09:03 AM #1\n", "Posts: 12\n", "Joined\n", "Member\n",
     " Thread starter Ada\n", "Post by Ada » Sat Feb 24, 2024 12:41 pm\n", "Re: x\n", "x\n",
     "ada June 2, 2024, 3:24pm 1\n", "bo June 2, 2024, 4:41pm 2\n", "Reactions: bo\n",
     "Leave a Reply\n", "Home » x\n", "A\n", "\n"]
)  # fmt: skip
WORDS = st.text(min_size=0, max_size=40)


def check(name: str, data: bytes) -> None:
    try:
        articles = parse_document(name, data, max_bytes=MAX)
    except IngestError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert articles
    keys = [a.key for a in articles]
    assert len(set(keys)) == len(keys)
    for article in articles:
        sane(article)


def sane(article: ParsedArticle) -> None:
    assert isinstance(article, ParsedArticle)
    assert article.title and "\n" not in article.title and len(article.title) <= 300
    assert article.paragraphs and all(p and p == p.strip() for p in article.paragraphs)
    for text in (article.key, article.title, *article.paragraphs, *article.tags):
        text.encode("utf-8")  # storable: no lone surrogates
    assert [c.position for c in article.comments] == list(range(1, len(article.comments) + 1))


@FAST
@given(st.binary(max_size=400), st.sampled_from([".txt", ".md", ".html", ".htm", ".pdf", ""]))
def test_any_bytes(data: bytes, suffix: str) -> None:
    check(f"file{suffix}", data)


@FAST
@given(st.lists(st.one_of(FRONT, TEXT, WORDS), max_size=30))
def test_front_matter_and_markdown(parts: list[str]) -> None:
    check("doc.md", "".join(parts).encode("utf-8", "surrogatepass"))


@FAST
@given(st.lists(st.one_of(TEXT, WORDS), max_size=30))
def test_plain_text(parts: list[str]) -> None:
    check("doc.txt", "".join(parts).encode("utf-8", "surrogatepass"))


@FAST
@given(st.lists(st.one_of(HTML, WORDS), max_size=40))
def test_html(parts: list[str]) -> None:
    check("page.html", "".join(parts).encode("utf-8", "surrogatepass"))


@FAST
@given(st.text(max_size=30))
def test_any_file_name(name: str) -> None:
    check(name + ".txt", b"A title\n\nA body paragraph.\n")


@FAST
@given(st.lists(st.one_of(SAVED, TEXT, WORDS), max_size=40))
def test_pages_saved_as_text(parts: list[str]) -> None:
    """The saved-page, comment and forum readers never fail inside: an error is only ever the
    file's own reason (no text), never the catch-all for a parser bug."""
    data = "".join(parts).encode("utf-8", "surrogatepass")
    try:
        articles = parse_document("saved.txt", data, max_bytes=MAX)
    except IngestError as error:
        assert "could not be parsed" not in str(error), str(error)
        return
    for article in articles:
        sane(article)


CONTROLS = st.sampled_from(
    ["\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x80", "\x9f", "\u200b", "\u2060", "\ufeff", "\t",
     "\n", "\u00a0", "é", "€", "\u2028"]
)  # fmt: skip


@FAST
@given(st.lists(st.one_of(CONTROLS, st.text(max_size=5)), max_size=30).map("".join))
def test_control_count_on_bytes_matches_the_character_class(text: str) -> None:
    # count_controls counts on the UTF-8 bytes for speed; it must count what strip_controls
    # removes, character for character
    from forumbot.domain.ingest.textnorm import count_controls, strip_controls

    assert count_controls(text) == len(text) - len(strip_controls(text))
