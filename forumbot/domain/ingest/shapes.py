"""Which kind of page a plain-text (or Markdown) body is, and how it splits into items.

Shapes:
- single: one article.
- essay: one article followed by reader comments (found by `comments.split_comments`).
- digest: a list of entries, each a short headline line followed by one teaser paragraph.
- blog: several posts one after another, each with several paragraphs.

The rules only look at layout (blank lines, line lengths, truncation marks), never at words
of a particular site, so they carry over to other pages with the same layout.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Literal

from forumbot.domain.article import ParsedComment

from .blocks import TRUNCATED_END, Block, first_sentence, is_headline, to_blocks
from .textnorm import normalise_space, shorten

Shape = Literal["single", "essay", "digest", "blog"]
SHAPES: frozenset[str] = frozenset({"single", "essay", "digest", "blog"})

# Derived titles (first line / first sentence) are kept short enough to read as a title.
DERIVED_TITLE_CHARS = 150
# Digest: a teaser is a line longer than any headline, or one cut off with an ellipsis.
TEASER_MIN_CHARS = 131
MIN_DIGEST_ENTRIES = 3
# Blog: a one-line block this short after a wide gap is a salutation or a citation, not a post.
FRAGMENT_MAX_CHARS = 60
MIN_BLOG_POSTS = 3

# "Name — teaser": up to five capitalised words (name particles allowed) before a dash.
_NAME_WORD = r"[A-Z][^\s—–]*"
_PARTICLE = r"(?:de|da|del|der|di|du|la|le|van|von|bin|al|el)"
_NAME = rf"{_NAME_WORD}(?:[ ](?:{_PARTICLE}[ ])?{_NAME_WORD}){{0,4}}"
_BYLINE = re.compile(rf"(?P<name>{_NAME})[ ]+[—–][ ]+(?P<rest>\S.*)")


@dataclass(slots=True)
class Item:
    """One article-to-be: title may be None when the text offers none."""

    title: str | None
    paragraphs: list[str]
    author: str | None = None
    comments: list[ParsedComment] = field(default_factory=list)
    # True when the title is a headline line taken out of the body text.
    title_from_body: bool = False


def split_items(text: str, shape: Shape | None) -> tuple[Shape, list[Item]]:
    """Detect (or apply the forced) shape and cut `text` into items."""
    blocks = to_blocks(text)
    if not blocks:
        return shape or "single", []
    if shape in (None, "digest"):
        entries = _digest_entries(blocks)
        if entries is not None and (shape == "digest" or len(entries) >= MIN_DIGEST_ENTRIES):
            return "digest", entries
    if shape in (None, "blog"):
        posts = _blog_posts(blocks)
        if shape == "blog" or len(posts) >= MIN_BLOG_POSTS:
            return "blog", [_article_item(post) for post in posts]
    return shape or "single", [_article_item(blocks)]


# -- single articles and blog posts -------------------------------------------------------------


def _article_item(blocks: list[Block]) -> Item:
    """Title: a standalone headline block (then dropped from the body), else the first line of a
    multi-line first block (the extraction put the headline on its own line), else the first
    sentence. Only a standalone headline leaves the body; otherwise no text is lost."""
    first = blocks[0]
    if first.headline_like and len(blocks) > 1:
        return Item(first.lines[0], [b.text for b in blocks[1:]], title_from_body=True)
    if not first.single_line and len(first.lines[0]) <= DERIVED_TITLE_CHARS:
        title = first.lines[0]
    else:
        title = shorten(first_sentence(first.lines[0]), DERIVED_TITLE_CHARS)
    return Item(title, [b.text for b in blocks])


def _blog_posts(blocks: list[Block]) -> list[list[Block]]:
    """Post boundaries in a page of consecutive blog posts (excerpts or full posts).

    A new post starts before a block when
      a) the previous block ends in a truncation mark (…, ..., […]): an excerpt ended; or
      b) two or more blank lines precede it, it is not a short one-line fragment (a
         salutation such as "Dear Comrade," or a citation such as "Ibid., p. 12."), and the
         post so far is not just a headline; or
      c) it is a headline-like line followed by two or more blank lines.
    Single blank lines never separate posts: they separate paragraphs.
    """
    # each block's properties once (a file of 500,000 blocks asked them ~5 times each)
    headline = [block.headline_like for block in blocks]
    posts: list[list[Block]] = [[blocks[0]]]
    current_headline = headline[0]  # the current post is just its headline so far
    for index, (prev, block) in enumerate(itertools.pairwise(blocks), start=1):
        current = posts[-1]
        only_headline = len(current) == 1 and current_headline
        fragment = (
            len(block.lines) == 1
            and len(block.lines[0]) < FRAGMENT_MAX_CHARS
            and not headline[index]
        )
        if (
            prev.truncated
            or (block.blank_before >= 2 and not fragment and not only_headline)
            or (headline[index] and block.blank_after >= 2)
        ):
            posts.append([block])
            current_headline = headline[index]
        else:
            current.append(block)
    return posts


# -- digests ------------------------------------------------------------------------------------


def _digest_entries(blocks: list[Block]) -> list[Item] | None:
    """Entries of a headline + teaser digest, or None when the page is not one.

    Works on lines: a teaser is a long line (or one ending in an ellipsis); its headline is the
    nearest short line before it. Other short lines (site name, image captions) are page
    furniture and are dropped. Two teaser-like lines in a row mean running prose, not a digest.
    """
    lines = [line for block in blocks for line in block.lines]
    entries: list[Item] = []
    previous_teaser = True  # so a teaser at the very top has no headline
    for index, line in enumerate(lines):
        teaser = len(line) >= TEASER_MIN_CHARS or line.endswith(TRUNCATED_END)
        if teaser:
            if previous_teaser or not is_headline(lines[index - 1]):
                return None
            entries.append(_digest_item(lines[index - 1], line))
        previous_teaser = teaser
    return entries or None


def _digest_item(headline: str, teaser: str) -> Item:
    byline = _BYLINE.match(teaser)
    if byline and len(byline["name"]) <= 60:
        return Item(headline, [byline["rest"]], author=normalise_space(byline["name"]))
    return Item(headline, [teaser])
