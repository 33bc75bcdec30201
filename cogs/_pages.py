"""Output that grows with data, shown within Discord's limits: blocks of text are packed into
embed pages (4096 characters of description, 6000 in all) with Prev / Next buttons, each page
optionally carrying its own action buttons; past a number of pages the whole text also goes
out as a file, so nothing is ever cut off.

Every cog answer whose size depends on stored data (the review queue, a member's history, a
thread's record, rules, backtests) goes through `send_pages`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

NO_MENTIONS = discord.AllowedMentions.none()

# Discord's limits, with room for the "page i of n" footer.
DESCRIPTION_LIMIT = 4096
EMBED_TOTAL_LIMIT = 6000
PAGE_CHARS = 3800
# More pages than this and the full text is attached as a file as well.
FILE_AFTER_PAGES = 5
# Buttons live in rows 0-3 of a page; row 4 is the pager's.
ACTION_ROWS = 4
PAGER_TIMEOUT = 14 * 60.0  # an interaction token lives 15 minutes


@dataclass
class Page:
    """One screen: a description and the action buttons for what it shows (rows 0-3)."""

    description: str
    actions: list[discord.ui.Item[Any]] = field(default_factory=list)


def split_block(block: str, limit: int = PAGE_CHARS) -> list[str]:
    """A block longer than a page, cut at line ends (or hard, for one huge line)."""
    if len(block) <= limit:
        return [block]
    parts: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            # Cut a long line between words where there is a space to cut at.
            cut = line.rfind(" ", limit // 2, limit) + 1 or limit
            parts.append(line[:cut].rstrip())
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def pack(
    blocks: Sequence[str], *, limit: int = PAGE_CHARS, per_page: int | None = None
) -> list[str]:
    """Blocks joined by blank lines into pages of at most `limit` characters (and at most
    `per_page` blocks); a block is split only when it alone is longer than a page."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for block in blocks:
        for part in split_block(block, limit):
            extra = len(part) + (2 if current else 0)
            full = per_page is not None and len(current) >= per_page
            if current and (size + extra > limit or full):
                pages.append("\n\n".join(current))
                current, size = [], 0
                extra = len(part)
            current.append(part)
            size += extra
    if current:
        pages.append("\n\n".join(current))
    return pages


class Pager(discord.ui.View):
    """Prev / Next over pages for the member who asked; each page shows its own actions."""

    def __init__(self, title: str, pages: list[Page], owner_id: int, colour: discord.Colour):
        super().__init__(timeout=PAGER_TIMEOUT)
        self.title = title
        self.pages = pages
        self.owner_id = owner_id
        self.colour = colour
        self.index = 0
        self.prev: discord.ui.Button[Pager] = discord.ui.Button(label="◀ Prev", row=ACTION_ROWS)
        self.next: discord.ui.Button[Pager] = discord.ui.Button(label="Next ▶", row=ACTION_ROWS)
        self.prev.callback = self._back  # type: ignore[method-assign]
        self.next.callback = self._forward  # type: ignore[method-assign]
        self._build()

    def embed(self) -> discord.Embed:
        page = self.pages[self.index]
        embed = discord.Embed(
            title=self.title[:256],
            description=page.description[:DESCRIPTION_LIMIT],
            colour=self.colour,
        )
        if len(self.pages) > 1:
            embed.set_footer(text=f"Page {self.index + 1} of {len(self.pages)}")
        return embed

    def _build(self) -> None:
        self.clear_items()
        for item in self.pages[self.index].actions:
            self.add_item(item)
        if len(self.pages) > 1:
            self.prev.disabled = self.index == 0
            self.next.disabled = self.index == len(self.pages) - 1
            self.add_item(self.prev)
            self.add_item(self.next)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.user.id == self.owner_id

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._build()
        await interaction.response.edit_message(embed=self.embed(), view=self)

    async def _back(self, interaction: discord.Interaction[Any]) -> None:
        await self._turn(interaction, -1)

    async def _forward(self, interaction: discord.Interaction[Any]) -> None:
        await self._turn(interaction, +1)


async def send_pages(
    interaction: discord.Interaction[Any],
    title: str,
    pages: list[Page] | list[str],
    *,
    colour: discord.Colour | None = None,
    full_text: str | None = None,
    filename: str = "output.txt",
    file_after: int = FILE_AFTER_PAGES,
) -> None:
    """Answer (ephemerally) with the first page and a pager; with more than `file_after` pages,
    `full_text` (default: every page) is attached as `filename` too. Works whether or not the
    interaction was deferred."""
    shown = [p if isinstance(p, Page) else Page(p) for p in pages] or [Page("Nothing to show.")]
    pager = Pager(title, shown, interaction.user.id, colour or discord.Colour.blurple())
    kwargs: dict[str, Any] = {
        "embed": pager.embed(),
        "ephemeral": True,
        "allowed_mentions": NO_MENTIONS,
    }
    if len(shown) > 1 or pager.children:
        kwargs["view"] = pager
    if len(shown) > file_after:
        text = full_text if full_text is not None else "\n\n".join(p.description for p in shown)
        kwargs["file"] = discord.File(io.BytesIO(text.encode()), filename=filename)
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
