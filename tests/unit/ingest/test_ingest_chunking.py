"""chunk_passages: size limit, nothing lost or duplicated, order kept, clean markers."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from forumbot.domain.article import ParsedArticle
from forumbot.domain.chunking import Chunk, chunk_passages, passage_label, split_text

WORDS = [
    "the",
    "workers",
    "of",
    "every",
    "port",
    "struck",
    "together",
    "for",
    "safety",
    "and",
    "fair",
    "rosters",
]


def check(passages: list[tuple[int, str]], chunks: list[Chunk], limit: int) -> None:
    """The properties every chunking must have."""
    assert all(0 < len(chunk.text) <= limit for chunk in chunks)
    # Every passage's slices, in order, join back to the passage exactly.
    rebuilt: dict[int, str] = {}
    order: list[int] = []
    for chunk in chunks:
        assert chunk.passages == tuple(dict.fromkeys(n for n, _ in chunk.pieces))
        for number, piece in chunk.pieces:
            if number not in rebuilt:
                order.append(number)
            rebuilt[number] = rebuilt.get(number, "") + piece
    assert order == [number for number, _ in passages]
    assert rebuilt == dict(passages)
    # The text shown is the marker plus the stripped slice, slices in order.
    for chunk in chunks:
        expected = []
        seen: set[int] = set()
        for number, piece in chunk.pieces:
            continued = number in seen or any(
                number in earlier.passages for earlier in chunks[: chunks.index(chunk)]
            )
            seen.add(number)
            marker = passage_label(number, continued)
            expected.append(f"{marker}\n{piece.strip()}" if piece.strip() else marker)
        assert chunk.text == "\n\n".join(expected)


def test_short_passages_share_a_message() -> None:
    passages = [(1, "First."), (2, "Second."), (3, "Third.")]
    chunks = chunk_passages(passages)
    assert chunks == [
        Chunk(
            "**¶1**\nFirst.\n\n**¶2**\nSecond.\n\n**¶3**\nThird.",
            (1, 2, 3),
            ((1, "First."), (2, "Second."), (3, "Third.")),
        )
    ]


def test_packing_stops_at_the_limit() -> None:
    passages = [(n, "x" * 90) for n in range(1, 6)]
    chunks = chunk_passages(passages, limit=200)
    assert [c.passages for c in chunks] == [(1, 2), (3, 4), (5,)]
    check(passages, chunks, 200)


def test_long_passage_splits_at_sentences() -> None:
    sentence = "This sentence is exactly long enough to matter here. "
    text = (sentence * 60).strip()
    chunks = chunk_passages([(12, text)], limit=500)
    assert len(chunks) > 1
    assert chunks[0].text.startswith("**¶12**\nThis sentence")
    assert all(c.text.startswith("**¶12 (cont.)**\n") for c in chunks[1:])
    for chunk in chunks:
        assert chunk.text.endswith("here."), chunk.text[-30:]
    check([(12, text)], chunks, 500)


def test_sentence_without_stops_splits_at_words() -> None:
    text = " ".join(WORDS * 40)
    chunks = chunk_passages([(3, text)], limit=300)
    words = set(WORDS)
    for chunk in chunks:
        body = chunk.text.split("\n", 1)[1]
        assert body.split()[0] in words and body.split()[-1] in words
    check([(3, text)], chunks, 300)


def test_unbroken_text_is_cut_hard() -> None:
    text = "x" * 1000
    chunks = chunk_passages([(1, text)], limit=300)
    assert len(chunks) == 4
    check([(1, text)], chunks, 300)


def test_split_text_slices_join_back() -> None:
    text = "One. Two three four. Five six seven eight nine ten."
    slices = split_text(text, 20)
    assert "".join(slices) == text
    assert all(len(s.strip()) <= 20 for s in slices)
    assert slices[0] == "One. Two three four. "


def test_custom_label() -> None:
    chunks = chunk_passages(
        [(1, "a"), (2, "b")], label=lambda n, cont: f"[{n}{'+' if cont else ''}]"
    )
    assert chunks[0].text == "[1]\na\n\n[2]\nb"


def test_limit_too_small_for_a_marker() -> None:
    with pytest.raises(ValueError, match="no room"):
        chunk_passages([(1, "word " * 50)], limit=25)


def test_empty_input() -> None:
    assert chunk_passages([]) == []


def test_seed_paragraphs_over_2000_chars(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    long_ones = 0
    for articles in seed_articles.values():
        for article in articles:
            passages = list(enumerate(article.paragraphs, 1))
            long_ones += sum(1 for _, text in passages if len(text) > 2000)
            chunks = chunk_passages(passages)
            check(passages, chunks, 2000)
            for chunk, following in itertools.pairwise(chunks):
                if following.pieces[0][0] == chunk.pieces[-1][0]:  # a split: at a sentence end
                    assert re.search(r"[.!?…][\"”’)]*$", chunk.text)
    assert long_ones >= 3


def test_seed_essay_messages(seed_articles: dict[str, list[ParsedArticle]]) -> None:
    (essay,) = seed_articles["003"]
    chunks = chunk_passages(list(enumerate(essay.paragraphs, 1)))
    assert [c.passages for c in chunks] == [(1, 2, 3, 4), (5,), (5, 6), (7,), (7, 8)]
    assert chunks[2].text.startswith("**¶5 (cont.)**\nBut like their post-Stalin Russian")


@pytest.mark.parametrize("seed", range(40))
def test_randomised_properties(seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.choice([60, 120, 500, 2000])
    passages = []
    for number in range(1, rng.randint(1, 25)):
        kind = rng.random()
        if kind < 0.1:
            text = "y" * rng.randint(1, 3 * limit)  # no boundaries at all
        else:
            words = [
                rng.choice([*WORDS, "Sentence.", "end!", "“quoted.”", "…"])
                for _ in range(rng.randint(1, limit // 2))
            ]
            text = " ".join(words)
            if kind < 0.2:
                text = text.replace(" ", "\n", 3)  # a list-like passage
        passages.append((number, text))
    chunks = chunk_passages(passages, limit=limit)
    check(passages, chunks, limit)
