"""The pager's packing: pages stay under the limit, blocks are kept whole when they fit, and
nothing is lost when a single block or line is longer than a page."""

from __future__ import annotations

from cogs._pages import pack, split_block


def test_blocks_are_packed_whole_under_the_limit() -> None:
    blocks = [f"item {n}: " + "word " * 60 for n in range(30)]
    pages = pack(blocks, limit=1000)
    assert all(len(p) <= 1000 for p in pages)
    assert "\n\n".join(pages).split("\n\n") == blocks  # every block whole, in order


def test_per_page_caps_the_number_of_blocks() -> None:
    assert [p.count("\n\n") + 1 for p in pack([f"b{n}" for n in range(9)], per_page=4)] == [
        4, 4, 1,
    ]  # fmt: skip


def test_a_long_line_is_cut_between_words_and_loses_nothing() -> None:
    words = [f"w{n:04d}" for n in range(2000)]
    parts = split_block(", ".join(words), 700)
    assert all(len(p) <= 700 for p in parts)
    assert " ".join(parts).replace(",", "").split() == words
    glued = "x" * 2500  # no space to cut at: cut hard, still complete
    assert "".join(split_block(glued, 1000)) == glued
