"""Numbered passages -> Discord-sized messages.

Each passage in a message starts with its marker on a line of its own (`**¶12**`), and short
passages share a message. A passage too long for one message is split at sentence boundaries,
else at word boundaries, else hard; its later pieces are marked `**¶12 (cont.)**`.

Every `Chunk.text` is at most `limit` characters including markers. `Chunk.pieces` holds the
exact slices of each passage's text: joining a passage's slices gives the passage back
unchanged (the text shown in a message is the slice without its surrounding whitespace).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Label = Callable[[int, bool], str]

# Sentence end: terminal punctuation, optional closing quotes/brackets, then whitespace.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")
_WHITESPACE = re.compile(r"\s")
_PASSAGE_GAP = "\n\n"
# A boundary closer than this share of the room to the start would make a tiny piece.
_MIN_PIECE_SHARE = 3


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    passages: tuple[int, ...]
    pieces: tuple[tuple[int, str], ...] = ()


def passage_label(number: int, continued: bool) -> str:
    """The default marker: `**¶12**`, or `**¶12 (cont.)**` for the later pieces of a split."""
    return f"**¶{number} (cont.)**" if continued else f"**¶{number}**"


def chunk_passages(
    passages: Sequence[tuple[int, str]], *, limit: int = 2000, label: Label = passage_label
) -> list[Chunk]:
    """Pack (number, text) passages, in the given order, into messages of <= `limit` chars."""
    chunks: list[Chunk] = []
    segments: list[str] = []
    pieces: list[tuple[int, str]] = []
    size = 0

    def flush() -> None:
        nonlocal size
        if segments:
            numbers = tuple(dict.fromkeys(number for number, _ in pieces))
            chunks.append(Chunk(_PASSAGE_GAP.join(segments), numbers, tuple(pieces)))
        segments.clear()
        pieces.clear()
        size = 0

    def add(segment: str, number: int, piece: str) -> None:
        nonlocal size
        extra = len(segment) + (len(_PASSAGE_GAP) if segments else 0)
        if segments and size + extra > limit:
            flush()
            extra = len(segment)
        segments.append(segment)
        pieces.append((number, piece))
        size += extra

    for number, text in passages:
        whole = _segment(label(number, False), text)
        if len(whole) <= limit:
            add(whole, number, text)
            continue
        room = limit - max(len(label(number, False)), len(label(number, True))) - 1
        if room < 20:
            raise ValueError(f"limit {limit} leaves no room for text after the passage marker")
        flush()
        for index, piece in enumerate(split_text(text, room)):
            add(_segment(label(number, index > 0), piece), number, piece)
    flush()
    return chunks


def _segment(marker: str, piece: str) -> str:
    body = piece.strip()
    return f"{marker}\n{body}" if body else marker


def split_text(text: str, room: int) -> list[str]:
    """Exact slices of `text` (they join back to `text`), each at most `room` characters once
    stripped: cut after the last sentence end that fits, else at the last space, else hard."""
    slices: list[str] = []
    start = 0
    while len(text[start:].strip()) > room:
        window = text[start : start + room + 1]
        cut = _last_boundary(window, room)
        if cut is None:
            end = start + room  # hard cut: no usable boundary in reach
            slices.append(text[start:end])
            start = end
        else:
            # Keep the boundary's whitespace character at the end of this slice.
            slices.append(text[start : start + cut + 1])
            start += cut + 1
    slices.append(text[start:])
    return slices


def _last_boundary(window: str, room: int) -> int | None:
    """Index of the whitespace char to cut at: after a sentence if one ends far enough in,
    else the last whitespace; None when neither leaves a reasonably sized piece."""
    floor = room // _MIN_PIECE_SHARE
    sentence = None
    for match in _SENTENCE_END.finditer(window):
        if match.end() <= room:
            sentence = match.end()
    if sentence is not None and sentence >= floor:
        return sentence
    word = None
    for match in _WHITESPACE.finditer(window):
        if match.start() <= room:
            word = match.start()
    if word is not None and word >= floor:
        return word
    return None
