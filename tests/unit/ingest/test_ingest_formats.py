"""Documents unlike the seeds: WordPress and news HTML, Markdown with front matter, legacy
encodings, UTF-16, CRLF line endings."""

from __future__ import annotations

import pytest

from forumbot.domain.ingest import IngestError, parse_document

from .conftest import DATA, MAX, parse_path


def test_wordpress_page_body_byline_and_comments() -> None:
    (post,) = parse_path(DATA / "wordpress_post.html")
    assert post.key == "wordpress_post"
    assert post.title == "Notes on the dockers’ strike"
    assert post.author == "Mara Quint"
    assert post.date == "2019-03-14"
    assert post.source == "https://harbourlights.example.org/2019/03/notes-on-the-dockers-strike/"
    assert post.tags == ("labour", "ports")
    assert post.paragraphs == (
        "The strike began on a Monday morning, when the night shift refused to hand over the"
        " cranes.",
        "Three demands were put to the port authority:",
        "- an end to zero-hour rosters;\n- safety stewards on every berth;\n"
        "- reinstatement of the sacked crane drivers.",
        "“We are not asking for favours,” said one steward — “we are asking for what was agreed…”",
        "By Friday the authority had conceded the first two points. The third is still open.",
    )
    assert [(c.position, c.author) for c in post.comments] == [
        (1, "Tomás Ibarra"),
        (2, None),  # shown as "Anonymous"
        (3, "Li Wen"),
        (4, None),  # no name at all
    ]
    assert post.comments[0].text == (
        "Solidarity from the Bilbao branch.\n\nWe struck over the same rosters in 2017."
    )
    assert post.comments[1].text == "How did it end in Bilbao?"
    assert post.comments[2].text == "Good write-up. Any news on the crane drivers?"


def test_wordpress_page_leaves_out_furniture() -> None:
    (post,) = parse_path(DATA / "wordpress_post.html")
    everything = "\n".join([*post.paragraphs, *(c.text for c in post.comments)])
    for furniture in (
        "Skip to content",
        "Home",
        "Share this",
        "Twitter",
        "trackRead",
        "dataLayer",
        "Posted in",
        "Previous post",
        "Leave a Reply",
        "Recent Posts",
        "Proudly powered",
        "says:",
        "Reply",
        "14 March 2019",
    ):
        assert furniture not in everything, furniture


def test_news_page_meta_author_and_og_title() -> None:
    (story,) = parse_path(DATA / "news_article.html")
    assert story.title == "Rail freight to double by 2030, ministry says"
    assert story.author == "Priya Raman"
    assert story.source == "https://ledger.example.com/economy/rail-freight-2030"
    assert story.comments == ()
    assert len(story.paragraphs) == 3
    assert story.paragraphs[0].startswith("The transport ministry said on Tuesday")
    assert (
        story.paragraphs[2] == "“Targets are easy; trains need people,” a union spokesperson said."
    )
    joined = " ".join(story.paragraphs)
    for furniture in ("Subscribe", "Economy", "Advertisement", "Related", "Port strike", "©"):
        assert furniture not in joined


def test_html_without_semantic_markup_uses_the_body() -> None:
    page = b"<html><body><h1>Plain page</h1><p>One.</p><p>Two &amp; three.</p></body></html>"
    (article,) = parse_document("plain.htm", page, max_bytes=MAX)
    assert article.title == "Plain page"
    assert article.paragraphs == ("One.", "Two & three.")


def test_markdown_front_matter_and_lists() -> None:
    (notes,) = parse_path(DATA / "field_notes.md")
    assert notes.key == "field-notes-2021-07"
    assert notes.title == "Field notes: the tenants’ assembly"
    assert notes.author == "Ada Okafor"
    assert notes.date == "2021-07-03"
    assert notes.source == "https://example.org/notes/tenants-assembly"
    assert notes.tags == ("housing", "organising")
    assert notes.paragraphs == (
        "About forty people came, more than the hall could seat. Latecomers stood along the"
        " back wall.",
        "The agenda had three items:",
        "- the rent increase notice;\n- repairs that have been promised since March;\n"
        "- electing delegates for the city-wide meeting.",
        "1. Refuse the increase collectively.\n2. Keep a shared log of repair requests.",
        "Next meeting: **first Saturday of August**, same hall.",
    )
    # "## What was decided" is no passage: it titles the two passages under it.
    assert notes.headings == (None, None, None, "What was decided", "What was decided")
    assert notes.comments == ()
    assert notes.warnings == ()


def test_markdown_heading_is_the_title_without_front_matter() -> None:
    text = "# Minutes\n\nWe met.\n\nWe agreed.\n"
    (article,) = parse_document("minutes.markdown", text.encode(), max_bytes=MAX)
    assert article.key == "minutes"
    assert article.title == "Minutes"
    assert article.paragraphs == ("We met.", "We agreed.")


def test_front_matter_shape_forces_single() -> None:
    digest = "\n\n".join(
        f"Headline number {n}\n\n" + ("A teaser sentence that runs long enough to count. " * 4)
        for n in range(1, 5)
    )
    (as_digest, *rest) = parse_document("d.txt", digest.encode(), max_bytes=MAX)
    assert len(rest) == 3 and as_digest.title == "Headline number 1"
    forced = f"---\nshape: single\ntitle: One page\n---\n{digest}"
    (single,) = parse_document("d.md", forced.encode(), max_bytes=MAX)
    assert single.title == "One page"
    assert len(single.paragraphs) == 8
    assert single.key == "d"


def test_multi_item_markdown_with_id_and_duplicate_titles() -> None:
    body = "\n\n".join(
        "Same headline\n\n" + ("Teaser text that is long enough to be a teaser line. " * 3)
        for _ in range(3)
    )
    text = f"---\nid: weekly\nauthor: Desk\ntags: [digest]\n---\n{body}"
    entries = parse_document("weekly.md", text.encode(), max_bytes=MAX)
    assert [e.key for e in entries] == [
        "weekly#same-headline",
        "weekly#same-headline-2",
        "weekly#same-headline-3",
    ]
    assert all(e.author == "Desk" and e.tags == ("digest",) for e in entries)


def test_latin1_text_is_accepted_with_a_warning() -> None:
    text = "Café société\n\nLes grévistes ont voté à l'unanimité; la reprise est refusée.\n"
    (article,) = parse_document("greve.txt", text.encode("latin-1"), max_bytes=MAX)
    assert article.title == "Café société"
    assert article.paragraphs == ("Les grévistes ont voté à l'unanimité; la reprise est refusée.",)
    assert article.warnings == ("file is not UTF-8; decoded as Windows-1252",)


def test_windows_1252_punctuation_decodes() -> None:
    data = "Strike notes\n\n“Solidarity” — they said… and left.\n".encode("cp1252")
    (article,) = parse_document("notes.txt", data, max_bytes=MAX)
    assert article.paragraphs == ("“Solidarity” — they said… and left.",)
    assert article.warnings == ("file is not UTF-8; decoded as Windows-1252",)


def test_utf16_with_bom() -> None:
    text = "Заметки\n\nРабочие собрались у ворот завода.\n"
    for codec in ("utf-16", "utf-16-be"):
        data = text.encode(codec)
        if codec == "utf-16-be":
            data = b"\xfe\xff" + data
        (article,) = parse_document("zametki.txt", data, max_bytes=MAX)
        assert article.title == "Заметки"
        assert article.paragraphs == ("Рабочие собрались у ворот завода.",)
        assert article.warnings == ()


def test_utf8_bom_and_crlf() -> None:
    data = b"\xef\xbb\xbfTitle line\r\n\r\nFirst line\r\nsame paragraph.\r\n\r\nSecond.\r\n"
    (article,) = parse_document("crlf.txt", data, max_bytes=MAX)
    assert article.title == "Title line"
    assert article.paragraphs == ("First line same paragraph.", "Second.")


def test_control_characters_are_stripped() -> None:
    data = b"Heading\n\nBell\x07 and\x0b vertical tab\x1b gone.\tTabbed.\n"
    (article,) = parse_document("ctl.txt", data, max_bytes=MAX)
    assert article.paragraphs == ("Bell and vertical tab gone. Tabbed.",)


def test_long_title_is_truncated_with_a_warning() -> None:
    title = "Word " * 100
    text = f"---\ntitle: {title}\n---\nBody.\n"
    (article,) = parse_document("long.md", text.encode(), max_bytes=MAX)
    assert len(article.title) <= 300
    assert article.title.endswith("…")
    assert "\n" not in article.title
    assert article.warnings == ("title truncated to 300 characters",)


def test_markdown_heading_title_keeps_a_second_headline_in_the_body() -> None:
    text = "# Minutes\n\nAgenda\n\nWe met.\n"
    (article,) = parse_document("minutes.md", text.encode(), max_bytes=MAX)
    assert article.title == "Minutes"
    assert article.paragraphs == ("Agenda", "We met.")


def test_markdown_sections_stay_one_article() -> None:
    teaser = "A long paragraph of this section that goes on well past a headline's length. " * 2
    text = "".join(f"## Part {n}\n\n{teaser}\n\n" for n in range(1, 5))
    (article,) = parse_document("parts.md", text.encode(), max_bytes=MAX)
    assert article.title == "Part 1"
    # Headings title the passages under them; they are never passages themselves.
    assert len(article.paragraphs) == 4
    assert article.headings == (None, "Part 2", "Part 3", "Part 4")
    forced = f"---\nshape: digest\n---\n{text}"
    assert len(parse_document("parts.md", forced.encode(), max_bytes=MAX)) == 4


def test_slug_suffixes_never_collide() -> None:
    teaser = "Teaser text that is long enough to be a teaser line in any digest page. " * 2
    titles = ["Alpha", "Alpha", "Alpha 2", "Beta"]
    text = "".join(f"{t}\n\n{teaser}\n\n" for t in titles)
    keys = [a.key for a in parse_document("d.txt", text.encode(), max_bytes=MAX)]
    assert keys == ["d#alpha", "d#alpha-2", "d#alpha-2-2", "d#beta"]


MAIN = (
    "The depot will reopen in June, the council said on Thursday, after a year in which"
    " drivers had to start their shifts from a car park across the river."
)


def test_xhtml_declaration_and_editor_note_div() -> None:
    page = (
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        f"<body><article><h1>Note</h1><p>{MAIN}</p>"
        '<div class="comment">Editor: corrected on 3 May.</div>'
        '<figure class="wp-block-table"><table><tr><td>Cell text</td></tr></table>'
        "<figcaption>Table 1</figcaption></figure></article></body></html>"
    )
    (article,) = parse_document("note.html", page.encode(), max_bytes=MAX)
    assert article.title == "Note"
    # trafilatura leaves a div.comment out of the body; it is not a reader comment either
    assert article.paragraphs == (MAIN, "Cell text")
    assert article.comments == ()


def test_article_comment_markup_with_cite_authors() -> None:
    page = """<html><head><meta property="og:title" content="Open letter"></head><body>
    <main><article class="post"><p>We, the undersigned, ask for the depot to reopen.</p></article>
    <section id="comments"><h2>Responses</h2>
      <article class="comment"><cite>Nadia K.</cite><time>2 days ago</time>
        <p>Signed, and shared with our branch.</p></article>
      <article class="comment"><cite></cite><p>Anonymous support from a driver.</p></article>
      <article class="comment"><div class="comment-author">Guest</div>
        <p>Me too, see <cite>The Depot Papers</cite> from <time>1998</time>.</p></article>
    </section></main></body></html>"""
    (article,) = parse_document("letter.html", page.encode(), max_bytes=MAX)
    assert article.title == "Open letter"
    assert article.paragraphs == ("We, the undersigned, ask for the depot to reopen.",)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Nadia K.", "Signed, and shared with our branch."),
        (None, "Anonymous support from a driver."),
        (None, "Me too, see The Depot Papers from 1998."),
    ]


def test_html_source_newlines_and_pre_blocks() -> None:
    page = (
        "<html><body><article><h1>T</h1><p>Line one\n\nstill the same paragraph\n- not a list"
        "</p><pre>First block\nof preformatted text.\n\nSecond block.</pre>"
        '<time datetime="2019-13-45"></time></article></body></html>'
    )
    (article,) = parse_document("t.html", page.encode(), max_bytes=MAX)
    assert article.paragraphs == (
        "Line one still the same paragraph - not a list",
        "First block of preformatted text.",
        "Second block.",
    )
    assert article.date is None


def test_markdown_headings_footnotes_and_a_sixth_tag() -> None:
    text = (
        "---\ntitle: Report\ntags: [a, b, c, d, e, sixth]\n---\n"
        "Intro text here.[^1]\n\n## Methods\n\nWe measured.[^n]\n\nStill methods.\n\n"
        "## Results\n### Costs\n\nCosts went up.\n\n## Empty at the end\n\n"
        "[^1]: First note\n    continued here.\n[^n]: Second note.\n[^x]: Never used.\n"
    )
    (article,) = parse_document("report.md", text.encode(), max_bytes=MAX)
    assert article.paragraphs == (
        "Intro text here.[1]\n[1] First note continued here.",
        "We measured.[n]\n[n] Second note.",
        "Still methods.",
        "Costs went up.",
    )
    assert article.headings == (None, "Methods", "Methods", "Results › Costs")
    assert article.tags == ("a", "b", "c", "d", "e", "sixth")
    warnings = " | ".join(article.warnings)
    assert "'sixth' will not be applied on the forum" in warnings
    assert "[^x] is never referred to" in warnings
    assert "'Empty at the end' has no text under it" in warnings


def test_a_paragraph_with_a_headings_words_after_it_stays_a_passage() -> None:
    text = "# T\n\nIntro.\n\n## Methods\n\nBody.\n\nMethods\n"
    (article,) = parse_document("t.md", text.encode(), max_bytes=MAX)
    assert article.paragraphs == ("Intro.", "Body.", "Methods")
    assert article.headings == (None, "Methods", "Methods")


def test_only_headings_is_an_error() -> None:
    with pytest.raises(IngestError, match="only headings"):
        parse_document("h.md", b"# T\n\n## A\n\n## B\n", max_bytes=MAX)
