"""Search results and their buttons. The buttons are DynamicItems whose custom_id carries all the
state they need, so they keep working after a restart: the query itself when it fits in the
100-char custom_id (no database write per search), else the id of a saved search; a share button
carries an article id and a passage number."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord.utils import escape_markdown

from cogs._errors import reply_error
from forumbot.domain.citation import escape_keeping_emphasis
from forumbot.domain.query import ORDER_NEWEST, ORDER_RELEVANCE, parse_query, with_order
from forumbot.services.archive import SNIPPET_MATCH_MARKS
from forumbot.services.errors import NotFound, UserFacingError
from forumbot.services.publishing import shorten

if TYPE_CHECKING:
    from forumbot.bot.services import Services
    from forumbot.services.archive import SearchPage

CUSTOM_ID_LIMIT = 100
MAX_PAGE_DIGITS = 3
PAGE_SIZE = 5
SNIPPET_CHARS = 300
DESCRIPTION_CHARS = 4096
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass(frozen=True, slots=True)
class SearchRef:
    """A search as its buttons remember it: inline (query and article in the custom_id) or by
    the id of a saved search (long queries, author filters)."""

    query: str
    author: str | None = None
    article_id: int | None = None
    saved_id: int | None = None

    def custom_id(self, page: int) -> str:
        if self.saved_id is not None:
            return f"fb:sp:{page}:{self.saved_id}"
        return f"fb:sq:{page}:{self.article_id or ''}:{self.query}"

    @property
    def fits_inline(self) -> bool:
        longest = SearchRef(self.query, article_id=self.article_id).custom_id(
            10**MAX_PAGE_DIGITS - 1
        )
        return self.author is None and len(longest) <= CUSTOM_ID_LIMIT


async def make_search_ref(
    services: Services,
    query: str,
    author: str | None,
    article_id: int | None,
    *,
    guild_id: int | None,
    user_id: int | None,
) -> SearchRef:
    """An inline ref is searched in whatever guild its button is pressed (it carries only the
    query); a saved one is bound to the guild (or DM) it was made in."""
    ref = SearchRef(query=query, author=author or None, article_id=article_id)
    if ref.fits_inline:
        return ref
    saved = await services.searches.save(
        query, author, article_id, guild_id=guild_id, user_id=user_id
    )
    return SearchRef(saved.query, saved.author, saved.article_id, saved_id=saved.id)


def jump_url(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    tail = f"/{message_id}" if message_id else ""
    return f"https://discord.com/channels/{guild_id}/{channel_id}{tail}"


def _services(interaction: discord.Interaction[Any]) -> Services:
    services: Services = interaction.client.services
    return services


async def passage_jump_url(
    services: Services, guild_id: int | None, article_id: int, passage: int
) -> str | None:
    if guild_id is None:
        return None
    found = await services.publishing.locate_passages(guild_id, [(article_id, passage)])
    loc = found.get((article_id, passage))
    return jump_url(guild_id, loc.thread_id, loc.message_id) if loc else None


MATCH_OPEN, MATCH_CLOSE = SNIPPET_MATCH_MARKS


def render_snippet(marked: str, limit: int = SNIPPET_CHARS) -> str:
    """A snippet as Discord markdown: the article's own emphasis as it is, the searched words
    underlined (so a match never looks like the article's bold), everything else escaped."""
    text = shorten(marked, limit)
    if text.count(MATCH_OPEN) > text.count(MATCH_CLOSE):  # cut inside a match
        text += MATCH_CLOSE
    escaped = escape_keeping_emphasis(text)
    return escaped.replace(MATCH_OPEN, "__").replace(MATCH_CLOSE, "__")


def filters_line(page: SearchPage, titles: dict[int, str]) -> str:
    parts = []
    if page.filters.author:
        parts.append(f"author “{escape_markdown(shorten(page.filters.author, 60))}”")
    if page.filters.tag:
        parts.append(f"tag “{escape_markdown(shorten(page.filters.tag, 40))}”")
    if page.filters.article_id is not None:
        title = titles.get(page.filters.article_id, "")
        named = f" “{escape_markdown(shorten(title, 60))}”" if title else ""
        parts.append(f"article #{page.filters.article_id}{named}")
    if page.order == ORDER_NEWEST:
        parts.append("newest first")
    return ("Filters: " + " · ".join(parts)) if parts else ""


def count_line(page: SearchPage, first: int, shown: int) -> str:
    if page.listing:
        what = f"{page.total} passage{'s' if page.total != 1 else ''} listed"
    elif page.over:
        what = f"Over {page.total:,} passages hold every word"
    elif page.total:
        what = f"{page.total} passage{'s' if page.total != 1 else ''} hold every word"
    else:
        what = "No passage holds every word; these hold some"
    return f"{what} · showing {first}–{first + shown - 1}" if shown else what


async def render_results(
    services: Services,
    guild_id: int | None,
    saved: SearchRef,
    page: int,
    *,
    user_id: int | None = None,
) -> tuple[discord.Embed, discord.ui.View]:
    offset = page * PAGE_SIZE
    result = await services.archive.search_page(
        saved.query,
        author=saved.author,
        article_id=saved.article_id,
        limit=PAGE_SIZE,
        offset=offset,
        guild_id=guild_id,
    )
    has_next = len(result.hits) > PAGE_SIZE
    hits = result.hits[:PAGE_SIZE]
    located = (
        await services.publishing.locate_passages(
            guild_id, [(h.article_id, h.passage) for h in hits]
        )
        if guild_id is not None
        else {}
    )
    heading = saved.query or (
        f"passages by {saved.author}" if saved.author else "passages of the article"
    )
    embed = discord.Embed(title=shorten(f"Search: {heading}", 256))
    titles = {h.article_id: h.title for h in hits}
    if saved.article_id is not None and saved.article_id not in titles:
        with contextlib.suppress(UserFacingError):
            titles[saved.article_id] = (
                await services.archive.resolve_article(str(saved.article_id))
            ).title
    head = [count_line(result, offset + 1, len(hits))] if hits else []
    if line := filters_line(result, titles):
        head.append(line)
    lines: list[str] = []
    current: int | None = None
    for number, hit in enumerate(hits, start=offset + 1):
        if hit.article_id != current:  # passages of one article under one heading
            current = hit.article_id
            author = f" · {escape_markdown(shorten(hit.author, 60))}" if hit.author else ""
            lines.append(
                f"\n**{escape_markdown(shorten(hit.title, 100))}** (#{hit.article_id}){author}"
            )
        loc = located.get((hit.article_id, hit.passage))
        link = (
            f" · [jump]({jump_url(guild_id, loc.thread_id, loc.message_id)})"
            if loc and guild_id
            else ""
        )
        # A passage holding only some of the words (found to fill the page) says so.
        partial = " · *partial match*" if hit.partial else ""
        snippet = render_snippet(hit.marked or hit.snippet)
        lines.append(f"`{number}.` ¶{hit.passage}{partial}{link}\n{snippet}")
    if not hits:
        if result.empty_archive:
            lines = ["The archive is empty: an admin adds articles with `/article load`."]
        elif page == 0:
            lines = ["No passages match."]
        else:
            lines = ["No more results."]
    embed.description = shorten_block("\n".join(head + lines), DESCRIPTION_CHARS)
    footer = f"Page {page + 1}"
    if not result.listing and hits:
        footer += " · underlined: your words"
    embed.set_footer(text=footer)

    view = discord.ui.View(timeout=None)
    view.add_item(SearchPageButton(saved, max(page - 1, 0), label="◀", disabled=page == 0))
    view.add_item(SearchPageButton(saved, page + 1, label="▶", disabled=not has_next))
    if not result.listing:
        # The other order, from its first page: the same search with `order:` switched.
        newest = parse_query(saved.query).order == ORDER_NEWEST
        other = await make_search_ref(
            services,
            with_order(saved.query, ORDER_RELEVANCE if newest else ORDER_NEWEST),
            saved.author,
            saved.article_id,
            guild_id=guild_id,
            user_id=user_id,
        )
        view.add_item(
            SearchPageButton(other, 0, label="Most relevant" if newest else "Newest first")
        )
    for number, hit in enumerate(hits, start=offset + 1):
        view.add_item(ShareButton(hit.article_id, hit.passage, label=f"Share {number}"))
    # Every item is a DynamicItem, dispatched by its custom_id pattern (registered in cog_load),
    # so the view needs no tracking: a finished view is not put in discord.py's view store,
    # where each ephemeral answer would otherwise keep a 15-minute timeout task alive.
    view.stop()
    return embed, view


def shorten_block(text: str, limit: int) -> str:
    """Cut a long description at a line end (never inside a markdown span)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return text[: cut if cut > 0 else limit - 2].rstrip() + "\n…"


class SearchPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"fb:s(?P<kind>[pq]):(?P<page>\d{1,3}):(?P<rest>.*)",
):
    def __init__(self, ref: SearchRef, page: int, *, label: str = "", disabled: bool = False):
        super().__init__(
            discord.ui.Button(
                label=label or "·",
                style=discord.ButtonStyle.secondary,
                custom_id=ref.custom_id(page),
                disabled=disabled,
                row=0,
            )
        )
        self.ref = ref
        self.page = page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> SearchPageButton:
        rest = match["rest"]
        if match["kind"] == "p":
            ref = SearchRef(query="", saved_id=int(rest))
        else:
            article, _, query = rest.partition(":")
            ref = SearchRef(query=query, article_id=int(article) if article else None)
        return cls(ref, int(match["page"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            services = _services(interaction)
            ref = self.ref
            if ref.saved_id is not None:
                saved = await services.searches.get(
                    ref.saved_id, guild_id=interaction.guild_id, user_id=interaction.user.id
                )
                if saved is None:
                    # Gone, or made in another server: nothing of it is shown here.
                    raise NotFound("This search has expired; run /search again.")
                ref = SearchRef(saved.query, saved.author, saved.article_id, saved_id=saved.id)
            embed, view = await render_results(
                services, interaction.guild_id, ref, self.page, user_id=interaction.user.id
            )
            await interaction.response.edit_message(embed=embed, view=view)
        except Exception as exc:
            await reply_error(interaction, exc)


class ShareButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fb:sh:(?P<aid>\d+):(?P<num>\d+)"
):
    """Posts the passage publicly in the channel, as a citation with a jump link."""

    def __init__(self, article_id: int, passage: int, *, label: str = "Share"):
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"fb:sh:{article_id}:{passage}",
                row=1,
            )
        )
        self.article_id = article_id
        self.passage = passage

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> ShareButton:
        label = getattr(item, "label", None) or "Share"
        return cls(int(match["aid"]), int(match["num"]), label=label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            services = _services(interaction)
            url = await passage_jump_url(
                services, interaction.guild_id, self.article_id, self.passage
            )
            citation = await services.archive.cite(
                self.article_id,
                self.passage,
                self.passage,
                jump_url=url,
                guild_id=interaction.guild_id,
            )
            # Who shared it goes in a small embed: the citation may use all 2000 characters.
            sharer = discord.Embed(description=f"Shared by {interaction.user.mention}")
            await interaction.response.send_message(
                citation, embed=sharer, allowed_mentions=NO_MENTIONS
            )
        except Exception as exc:
            await reply_error(interaction, exc)
