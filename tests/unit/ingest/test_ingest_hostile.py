"""Files found by fuzzing that hurt the archive (issue 11), each reproduced: a file is parsed in
bounded memory and comes back as articles or as its own one-line IngestError, never anything
else. Memory is checked with tracemalloc; time is never asserted (bench/bench_hostile.py
measures it)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest

from forumbot.domain.article import ParsedArticle
from forumbot.domain.ingest import IngestError, parse_document
from forumbot.domain.ingest.frontmatter import MAX_TAG_CHARS, MAX_TAGS

from .conftest import MAX

MEMORY_LIMIT = 200 * 2**20


def parse_bounded(name: str, data: bytes) -> list[ParsedArticle] | IngestError:
    """The parse's result (or its IngestError), failing the test past MEMORY_LIMIT."""
    tracemalloc.start()
    try:
        return parse_document(name, data, max_bytes=MAX)
    except IngestError as error:
        assert str(error) and "\n" not in str(error)
        return error
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < MEMORY_LIMIT, f"peak {peak / 2**20:.0f} MiB"


BILLION_LAUGHS = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "date: *i\n"
    "---\nBody.\n"
)


def test_billion_laughs_front_matter_is_refused() -> None:
    assert len(BILLION_LAUGHS) < 400
    result = parse_bounded("laughs.md", BILLION_LAUGHS.encode())
    assert isinstance(result, IngestError)
    assert "alias" in str(result)


def test_deeply_nested_front_matter_is_refused() -> None:
    text = "---\ntags: " + "[" * 10_000 + "]" * 10_000 + "\n---\nBody.\n"
    result = parse_bounded("deep.md", text.encode())
    assert isinstance(result, IngestError)
    assert "nest" in str(result)


def test_json_ld_nested_100000_deep_is_ignored() -> None:
    page = (
        "<html><head><script type='application/ld+json'>" + "[" * 100_000 + "</script></head>"
        "<body><article><p>"
        + "The tugs came back to the harbour on Sunday after the long strike. " * 4
        + "</p></article></body></html>"
    )
    result = parse_bounded("deep.html", page.encode())
    assert not isinstance(result, IngestError)
    assert result[0].paragraphs[0].startswith("The tugs came back")


def test_100000_front_matter_tags_are_refused_in_linear_time() -> None:
    tags = ", ".join(f"t{n}" for n in range(100_000))
    result = parse_bounded("tags.md", f"---\ntags: [{tags}]\n---\nBody.\n".encode())
    assert isinstance(result, IngestError)
    assert "front matter: longer than 64 KiB" in str(result)


def test_thousands_of_front_matter_tags_are_capped() -> None:
    tags = ", ".join(f"t{n}" for n in range(5_000))
    text = f"---\ntags: [{tags}, {'x' * 5000}]\n---\nBody of the tagged note.\n"
    result = parse_bounded("tags.md", text.encode())
    assert not isinstance(result, IngestError)
    (article,) = result
    assert len(article.tags) == MAX_TAGS
    assert all(len(tag) <= MAX_TAG_CHARS for tag in article.tags)
    assert any("tags" in warning for warning in article.warnings)


def test_a_long_tag_is_cut() -> None:
    text = f"---\ntags: [{'x' * 5000}]\n---\nBody.\n"
    (article,) = parse_document("tag.md", text.encode(), max_bytes=MAX)
    assert article.tags == ("x" * MAX_TAG_CHARS,)


@pytest.mark.parametrize(
    "page",
    [
        lambda: "<div>" * 100_000 + "<p>Deep text at the bottom.</p>",
        lambda: "<p>word</p>" * 100_000,
        lambda: "<html><body>" + "<span>a</span>" * 100_000 + "</body></html>",
        lambda: "<table>" * 20_000 + "<p>cell</p>",
        lambda: "<ul><li>" * 20_000 + "item",
    ],
    ids=["divs", "paragraphs", "spans", "tables", "lists"],
)
def test_100000_tags_parse_in_bounded_memory(page: Callable[[], str]) -> None:
    result = parse_bounded("tags.html", page().encode())
    if not isinstance(result, IngestError):
        assert result[0].paragraphs


def test_invalid_utf8_inside_utf8_text_is_an_error_naming_the_place() -> None:
    data = "Café society, a naïve résumé.\nSecond line ".encode() + b"\xff\xfe broken\n"
    result = parse_bounded("broken.txt", data)
    assert isinstance(result, IngestError)
    assert "invalid UTF-8" in str(result) and "line 2" in str(result)


def test_genuine_windows_1252_text_still_loads_with_a_warning() -> None:
    data = "Caf\xe9 society \u2013 a note written on an old machine.\n".encode("cp1252")
    (article,) = parse_document("legacy.txt", data, max_bytes=MAX)
    assert "Café society – a note" in article.title + " ".join(article.paragraphs)
    assert any("Windows-1252" in warning for warning in article.warnings)


def test_non_utf8_file_name_bytes_give_a_storable_key() -> None:
    name = b"caf\xe9 notes.txt".decode("utf-8", "surrogateescape")
    (article,) = parse_document(name, b"A note.\n\nIts body.\n", max_bytes=MAX)
    article.key.encode("utf-8")  # no lone surrogates left
    article.title.encode("utf-8")
    assert article.key == "caf\\xe9 notes"


def test_unexpected_errors_become_the_files_ingest_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from forumbot.domain.ingest import document

    def explode(*_args: object, **_kwargs: object) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(document, "parse_html", explode)
    with pytest.raises(IngestError, match="could not be parsed"):
        parse_document("page.html", b"<p>text</p>", max_bytes=MAX)
