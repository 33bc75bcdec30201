"""Paths, shape edge cases, and mutated inputs that must fail cleanly or parse sanely."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import IngestError, iter_document_paths, parse_document

from .conftest import DATA, MAX, SEEDS


def test_iter_document_paths(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.md").write_text("x")
    (tmp_path / "b" / "a.HTML").write_text("x")
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "notes.pdf").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text("x")
    single = tmp_path / "notes.pdf"
    found = list(iter_document_paths([tmp_path, single]))
    assert found == [
        tmp_path / "a.txt",
        tmp_path / "b" / "a.HTML",
        tmp_path / "b" / "z.md",
        single,  # a file named explicitly is passed on; parse_document judges its type
    ]


def test_seed_directory_lists_all_seeds() -> None:
    assert [p.name[:3] for p in iter_document_paths([SEEDS])] == ["000", "001", "002", "003", "004"]


def test_numbered_list_at_the_end_is_not_comments() -> None:
    text = "Plan\n\nWe will:\n\n1. Meet on Monday.\n2. Vote on Tuesday.\n"
    (article,) = parse_document("plan.txt", text.encode(), max_bytes=MAX)
    assert article.comments == ()
    assert article.paragraphs == ("We will:", "1. Meet on Monday.\n2. Vote on Tuesday.")


def test_unindented_comments_need_a_says_line() -> None:
    text = "Essay\n\nBody paragraph.\n\n1. Rosa says:\n   First!\n2. Second comment.\n"
    (article,) = parse_document("e.txt", text.encode(), max_bytes=MAX)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Rosa", "First!"),
        (None, "Second comment."),
    ]
    assert article.paragraphs == ("Body paragraph.",)


def test_two_paragraph_essay_is_a_single_article() -> None:
    text = "A title\n\nOne paragraph here.\n\n\nAnother paragraph after a wide gap.\n"
    (article,) = parse_document("e.txt", text.encode(), max_bytes=MAX)
    assert article.title == "A title"
    assert len(article.paragraphs) == 2


def _sane(articles: list[ParsedArticle]) -> None:
    assert articles
    keys = [a.key for a in articles]
    assert len(set(keys)) == len(keys)
    for article in articles:
        assert article.title and "\n" not in article.title and len(article.title) <= 300
        assert article.paragraphs and all(p and p == p.strip() for p in article.paragraphs)
        for text in (article.title, *article.paragraphs, *(c.text for c in article.comments)):
            assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text)
            assert "\u00a0" not in text
        assert [c.position for c in article.comments] == list(range(1, len(article.comments) + 1))


SOURCES = sorted(SEEDS.iterdir()) + sorted(DATA.iterdir())


@pytest.mark.parametrize("seed", range(30))
def test_mutated_documents_fail_cleanly_or_parse_sanely(seed: int) -> None:
    rng = random.Random(seed)
    source = rng.choice(SOURCES)
    data = bytearray(source.read_bytes())
    for _ in range(rng.randint(1, 40)):
        op = rng.random()
        at = rng.randrange(len(data) + 1)
        if op < 0.4:
            data[at:at] = bytes([rng.randrange(256)])
        elif op < 0.7 and data:
            del data[at : at + rng.randint(1, 200)]
        else:
            data[at:at] = rng.choice([b"\n\n\n", b"<", b"---\n", b"  1. X says:\n", b"\xe2\x80"])
    suffix = rng.choice([source.suffix, ".txt", ".md", ".html"])
    try:
        articles = parse_document(f"mutant{suffix}", bytes(data), max_bytes=MAX)
    except IngestError as error:
        assert str(error) and "\n" not in str(error)
    else:
        _sane(articles)


def test_comment_date_lines_are_dropped() -> None:
    text = (
        "Essay\n\nBody paragraph.\n\n"
        "  1. Rosa says:\n    March 5, 2020 at 10:12 am\n    First!\n"
        "  2. Karl says:\n    5 March 2020 at 11:40\n\n    Second.\n"
        "  3. No date here, just text.\n"
    )
    (article,) = parse_document("e.txt", text.encode(), max_bytes=MAX)
    assert [(c.author, c.text) for c in article.comments] == [
        ("Rosa", "First!"),
        ("Karl", "Second."),
        (None, "No date here, just text."),
    ]


def test_iter_document_paths_survives_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("x")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d", target_is_directory=True)
    assert list(iter_document_paths([tmp_path])) == [tmp_path / "d" / "a.txt"]


def test_indented_list_closing_an_article_is_not_comments() -> None:
    text = "Demands\n\nWe demand:\n\n  1. Safety stewards.\n  2. Fair rosters.\n"
    (article,) = parse_document("d.txt", text.encode(), max_bytes=MAX)
    assert article.comments == ()
    assert article.paragraphs[-1] == "1. Safety stewards.\n2. Fair rosters."


def test_anonymous_indented_comments_after_a_wide_gap() -> None:
    text = (
        "Essay\n\nBody.\n\n\n"
        "  1. First comment line\n     and its second line.\n"
        "  2. Another comment.\n"
    )
    (article,) = parse_document("e.txt", text.encode(), max_bytes=MAX)
    assert [(c.author, c.text) for c in article.comments] == [
        (None, "First comment line and its second line."),
        (None, "Another comment."),
    ]
