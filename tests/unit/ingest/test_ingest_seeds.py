"""Golden expectations for the five seed pages (one per shape)."""

from __future__ import annotations

import re

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import parse_document

from .conftest import MAX, SEEDS, parse_path

SEED_FILES = {
    "000": "000_368668efdbeb5d6b.txt",
    "001": "001_d3d1742f730c75da.txt",
    "002": "002_f51bd14498183213.txt",
    "003": "003_2faf8053f3e32224.md",
    "004": "004_7d6de2bb88b92e16.txt",
}


def test_each_seed_exists_once() -> None:
    names = sorted(p.name for p in SEEDS.iterdir() if p.is_file())
    assert names == sorted(SEED_FILES.values())


def test_single_page(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    (about,) = seed_articles["000"]
    assert about.key == "000_368668efdbeb5d6b"
    assert about.title == "About Us"
    assert about.author is None
    assert len(about.paragraphs) == 2
    assert about.paragraphs[0].startswith("This website is intended for those engaged")
    assert about.paragraphs[1].endswith("the problems posed by history.")
    assert about.comments == ()


BLOG_TITLES = [
    "Stalin’s reply to Ivan Philipovich Ivanov on question of final victory of Socialism in"
    " one country, that is, USSR in 1938.",
    "Digitalisation, robotisation, super technology, etc has further brought capitalism, based"
    " on private property & wage slavery, on the brink of fascism.",
    "News: India’s Corruption Index Rank has been falling since last 3 years!",
    "Fascism is rising in all countries!",
    "Did Stalin know of the intrigues that the revisionists around him were preparing?",
    "British culture, democratic norms or even constitution is not stagnant and is guided"
    " directly by the production relation, status of circulation of…",
    "When I was young, we were taught at school that as we lived in a post-modern and affluent"
    " multicultural society, we had the moral and ‘legal’ right…",
    "Reformist election campaigns focus on trying to fix capitalism, a system that can’t be fixed!",
    "Marxism-Leninism seeks revolution through organizing the working class & its reserve"
    " forces into a vanguard which acts as a front line & general…",
    "Some people still idealize spontaneity and spontaneous grassroots movements.",
]


def test_blog_page_splits_into_posts(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    posts = seed_articles["001"]
    assert [p.title for p in posts] == BLOG_TITLES
    assert [len(p.paragraphs) for p in posts] == [9, 7, 5, 3, 64, 1, 1, 1, 1, 1]
    assert all(p.author is None and p.comments == () for p in posts)
    # Truncated excerpts end their post.
    assert posts[0].paragraphs[-1] == "I would like to have your answer about the…"
    # A standalone headline is the title, not a passage; the body starts after it.
    assert posts[2].paragraphs[0].startswith("Analysis : The Corruption Index Rank")
    assert posts[4].paragraphs[0].startswith("The main report presented by Malenkov")
    # Citations after a wide gap ("Ibid. , p. S15.") stay inside their post.
    assert "Ibid. , p. S15." in posts[4].paragraphs
    # Single newlines inside a paragraph are joined: the first paragraph carries the title line.
    assert posts[0].paragraphs[0].startswith("Stalin’s reply to Ivan")
    assert "1938. “It follows" in posts[0].paragraphs[0]


def test_blog_keys_are_stem_and_title_slug(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    keys = [p.key for p in seed_articles["001"]]
    assert (
        keys[2] == "001_d3d1742f730c75da#news-indias-corruption-index-rank-has-been-falling-since"
    )
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"001_d3d1742f730c75da#[a-z0-9-]+", key) for key in keys)


DIGEST_002 = [
    (
        "[Updated] South Asian left statements: No to an India-Pakistan war, yes to"
        " de-escalation and peace",
        None,
    ),
    (
        "The Pahalgam terror attack in Jammu and Kashmir: Questions the Modi government must"
        " answer",
        "Dipankar Bhattacharya",
    ),
    (
        "[Updated] South Asian left statements on the Pahalgam terrorist attack and current"
        " India-Pakistan tensions",
        None,
    ),
    ("CPI(ML) Liberation: The Call of April 22, 2025", "CPI(ML) Liberation"),
    (
        "India must challenge Modi’s capitulation to Trump (plus Rekindle the spirit of India’s"
        " anti-imperialist nationalism)",
        "CPI(ML) Liberation",
    ),
    ("Recognising fascism in India: If not now, then when?", "Dipankar Bhattacharya"),
    (
        "Centenary of the Communist movement in India: Achievements, lessons and challenges",
        None,
    ),
    (
        "India: Pointers and challenges of recent election outcome (plus CPIML Liberation"
        " scores election wins)",
        "Dipankar Bhattacharya",
    ),
    (
        "Communist Party of India (Marxist-Leninist) Liberation: Trump’s electoral comeback —"
        " Lessons and challenges",
        "CPI(ML) Liberation",
    ),
    (
        "RSS enters its centenary: A saga of uninterrupted fascist assault on modern India",
        "Dipankar Bhattacharya",
    ),
    (
        "The MCC-CPI(ML) unification: Convergence of two legacies and trajectories of the"
        " Communist movement in India",
        "Dipankar Bhattacharya",
    ),
    (
        "Bangladesh navigates a turbulent transition, awaits a new equilibrium after ouster of"
        " Awami League rule",
        None,
    ),
]


def test_digest_with_captions_and_bylines(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    entries = seed_articles["002"]
    assert [(e.title, e.author) for e in entries] == DIGEST_002
    assert all(len(e.paragraphs) == 1 for e in entries)
    # The byline is the author, not part of the teaser; image captions are dropped.
    assert entries[1].paragraphs[0].startswith("The people must unite against fascist forces")
    assert entries[0].paragraphs[0].endswith("threat of an India-Pakistan war.")
    every_text = " ".join(p for e in entries for p in e.paragraphs)
    for caption in ("Pahalgam terror attack vigil", "Modi RSS", "Bangladesh protests"):
        assert caption not in every_text
    # No teaser without a dash byline gets an invented author.
    centenary = entries[6]
    assert centenary.paragraphs[0].startswith("Dipankar Bhattacharya look at the history")


DIGEST_004_TITLES = [
    "India: Farmers strike – Shut down the government",
    "Pakistan: victory for IMT as Comrade Amin released – forward to revolution!",
    "Pakistan: international solidarity for Comrade Amin’s release",
    "Kashmir: Modi’s draconian measures will be fought by the working class of the entire region",
    "Reject Colonialism; Fight Extradition Law with Class politics",
    "The Rohingya crisis and the real face of liberalism",
    "The Murder of Mashal Khan – A statement of the IMT",
    "“Rise Up Tamils!” Demonstration Puts Tamil National Question Back on the Agenda",
    "The Plight of the Rohingya Muslims today in Myanmar",
    "Marxist sympathizer shot in Swat – Barbarism must not prevail!",
]


def test_digest_with_truncated_teasers(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    entries = seed_articles["004"]
    assert [e.title for e in entries] == DIGEST_004_TITLES
    assert all(len(e.paragraphs) == 1 and e.paragraphs[0].endswith("[…]") for e in entries)
    assert all(e.author is None for e in entries)
    assert entries[0].key == "004_7d6de2bb88b92e16#india-farmers-strike-shut-down-the-government"


def test_essay_with_comments(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    (essay,) = seed_articles["003"]
    assert essay.key == "003_2faf8053f3e32224"
    assert essay.title == (
        "Revolution and internationalism: some reservations on Andre Vltchek’s interview"
    )
    assert essay.author == "Sumanta Banerjee"
    assert len(essay.paragraphs) == 8
    assert essay.paragraphs[-1] == (
        "Sumanta Banerjee is a political and civil rights activist and social scientist. Email:"
    )
    assert [c.position for c in essay.comments] == [1, 2, 3]
    assert [c.author for c in essay.comments] == ["Farooque Chowdhury", None, None]
    first, second, third = essay.comments
    assert first.text.startswith("Thanks, Sumanta da, as you reiterate: “I hold up my fist")
    assert first.text.count("\n\n") == 3  # four paragraphs
    assert second.text.startswith("Marx advocated the abolition of the wages system")
    assert third.text.startswith("Dear Samanta Banerjee, unfortunately")
    assert third.text.endswith("Best regards")


def test_essay_detected_without_front_matter() -> None:
    raw = (SEEDS / SEED_FILES["003"]).read_bytes()
    body = raw.split(b"\n---\n", 1)[1]
    (essay,) = parse_document("003_2faf8053f3e32224.txt", body, max_bytes=MAX)
    assert [c.author for c in essay.comments] == ["Farooque Chowdhury", None, None]
    assert len(essay.paragraphs) == 8
    assert essay.title.startswith("Let me begin by congratulating Binu Mathew")
    assert essay.author is None


def test_whitespace_normalised_and_punctuation_kept(
    seed_articles: dict[str, list[ParsedArticle]],
) -> None:
    (essay,) = seed_articles["003"]
    texts = list(essay.paragraphs) + [c.text for c in essay.comments]
    for text in texts:
        assert "\u00a0" not in text
        assert "  " not in text
        assert text == text.strip()
    joined = " ".join(texts)
    assert "Since these two issues – revolution and internationalism – had been" in joined
    assert "Andre Vltchek’s account" in joined
    assert "“Revolutionaries and Internationalists thus" in joined
    for articles in seed_articles.values():
        for article in articles:
            for text in (article.title, *article.paragraphs):
                assert "\u00a0" not in text and "  " not in text


def test_seed_figures_overall(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    counts = {prefix: len(articles) for prefix, articles in seed_articles.items()}
    assert counts == {"000": 1, "001": 10, "002": 12, "003": 1, "004": 10}
    longest = max(len(p) for arts in seed_articles.values() for a in arts for p in a.paragraphs)
    assert longest > 2000  # the chunking tests rely on this
    assert all(a.warnings == () for arts in seed_articles.values() for a in arts)


def test_parsing_is_deterministic() -> None:
    for name in SEED_FILES.values():
        assert parse_path(SEEDS / name) == parse_path(SEEDS / name)
