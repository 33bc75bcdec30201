"""Every kind of bad input gives an IngestError with a one-line reason."""

from __future__ import annotations

import random

import pytest

from forumbot.domain.ingest import IngestError, parse_document

MAX = 1_000_000


def reason(name: str, data: bytes, max_bytes: int = MAX) -> str:
    with pytest.raises(IngestError) as info:
        parse_document(name, data, max_bytes=max_bytes)
    message = str(info.value)
    assert message and "\n" not in message
    return message


def test_empty_file() -> None:
    assert reason("a.txt", b"") == "empty file"


@pytest.mark.parametrize("data", [b"   \n\t\n", b"\r\n\r\n", "\u00a0\u2003\n".encode()])
def test_whitespace_only(data: bytes) -> None:
    assert reason("a.txt", data) == "file contains only whitespace"


def test_nul_bytes_mean_binary() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"
    assert reason("image.txt", png) == "binary file (NUL bytes)"


def test_mostly_control_characters_mean_binary() -> None:
    data = bytes(range(1, 9)) * 40 + b"some text"
    assert reason("a.txt", data) == "binary file (mostly control characters)"


def test_too_large_names_size_and_limit() -> None:
    message = reason("big.txt", b"x" * 2001, max_bytes=2000)
    assert message == "file too large (2001 bytes; the limit is 2000 bytes)"


def test_exactly_the_limit_is_fine() -> None:
    (article,) = parse_document("ok.txt", b"x" * 2000, max_bytes=2000)
    assert article.paragraphs == ("x" * 2000,)


def test_undecodable_bytes_are_rejected() -> None:
    rng = random.Random(7)
    noise = bytes(rng.randrange(1, 256) for _ in range(4000))
    assert "invalid UTF-8 and not readable as Windows-1252" in reason("noise.txt", noise)


def test_c1_controls_in_legacy_text_are_rejected() -> None:
    # 0x81 is undefined in Windows-1252 and a C1 control in Latin-1: not prose.
    data = b"Title\n\nSome words \x81\x8d and more words here.\n"
    assert "not readable as Windows-1252" in reason("a.txt", data)


def test_broken_utf16() -> None:
    assert reason("a.txt", b"\xff\xfeA\x00\x00\xd8").startswith("invalid UTF-16-LE text")


@pytest.mark.parametrize("name", ["report.pdf", "notes.docx", "README", "archive.tar.gz"])
def test_unsupported_suffix(name: str) -> None:
    message = reason(name, b"hello")
    assert message.startswith("unsupported file type")
    assert ".html" in message and ".md" in message


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("title: [unclosed\n", "front matter: invalid YAML"),
        ("title: a: b\n", "front matter: invalid YAML at line 2"),
        ("tags: housing\n", "front matter: tags must be a list of strings"),
        ("tags: [housing, 3]\n", "front matter: tags must be a list of strings"),
        ("title: 42\n", "front matter: title must be a string, not int"),
        ("title: [a, b]\n", "front matter: title must be a string, not a list"),
        ("author: {name: x}\n", "front matter: author must be a string, not a mapping"),
        ("date: last tuesday\n", "front matter: date must be an ISO date"),
        ("date: 2021-02-30\n", "front matter: invalid value (day is out of range for month)"),
        ("date: '2021-02-30'\n", "front matter: date must be an ISO date"),
        ("shape: magazine\n", "front matter: shape must be one of blog, digest, essay, single"),
        ("id: two words\n", "front matter: id must be non-empty"),
        ("- just\n- a list\n", "front matter: expected 'key: value' lines"),
    ],
)
def test_malformed_front_matter(front: str, expected: str) -> None:
    message = reason("doc.md", f"---\n{front}---\nBody text.\n".encode())
    assert message.startswith(expected), message


def test_unclosed_front_matter() -> None:
    assert reason("doc.md", b"---\ntitle: x\nBody\n") == "front matter: no closing '---' line"


def test_front_matter_without_body() -> None:
    assert reason("doc.md", b"---\ntitle: Only a title\n---\n\n") == "no text paragraphs found"


def test_html_without_text() -> None:
    # Only markup, scripts and styles: nothing a reader would see.
    page = b"<html><head><style>p{}</style></head><body><div><img src=a.png></div>"
    page += b"<script>x()</script></body></html>"
    assert reason("page.html", page) == "no text paragraphs found in the HTML body"


def test_unknown_front_matter_key_is_only_a_warning() -> None:
    (article,) = parse_document("a.md", b"---\nlayout: post\n---\nBody.\n", max_bytes=MAX)
    assert article.warnings == ("front matter: ignored unknown key(s): layout",)
