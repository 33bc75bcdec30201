"""Plain text as a sequence of blank-line separated blocks, keeping the layout facts that the
shape rules need (how many blank lines surround a block, how long its lines are)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .textnorm import join_lines

# A headline is one short line that does not end like a sentence fragment or a citation.
HEADLINE_MAX_CHARS = 120
_NOT_HEADLINE_END = (".", ",", ";", ":")
TRUNCATED_END = ("…", "...", "[…]", "[...]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


@dataclass(slots=True)
class Block:
    lines: tuple[str, ...]  # whitespace-normalised, non-empty (a tuple: half a list's bytes)
    blank_before: int
    blank_after: int = 0

    @property
    def text(self) -> str:
        if len(self.lines) == 1:
            return self.lines[0]  # already normalised: what join_lines would return
        return join_lines(self.lines)

    @property
    def single_line(self) -> bool:
        return len(self.lines) == 1

    @property
    def headline_like(self) -> bool:
        return is_headline(self.lines[0]) if self.single_line else False

    @property
    def truncated(self) -> bool:
        return self.lines[-1].endswith(TRUNCATED_END)


def is_headline(line: str) -> bool:
    return 0 < len(line) <= HEADLINE_MAX_CHARS and not line.endswith(_NOT_HEADLINE_END)


def to_blocks(text: str) -> list[Block]:
    """Blocks of `text` (newlines already normalised to \\n). Leading/trailing blank lines are
    counted too, so blank_before of the first block is the document's leading blank lines."""
    blocks: list[Block] = []
    current: list[str] = []
    blanks = 0
    for raw in text.split("\n"):
        line = " ".join(raw.split())  # normalise_space for a line (inlined: called per line)
        if line:
            if not current:
                if blocks:
                    blocks[-1].blank_after = blanks
                current_blank = blanks
            current.append(line)
            blanks = 0
            continue
        if current:
            blocks.append(Block(tuple(current), current_blank))
            current.clear()
        blanks += 1
    if current:
        blocks.append(Block(tuple(current), current_blank))
    if blocks:
        blocks[-1].blank_after = blanks
    return blocks


def first_sentence(text: str) -> str:
    match = _SENTENCE_END.search(text)
    return text[: match.start()].strip() if match else text
