"""Publishing replies and the /article load preview (Confirm/Cancel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord

from cogs._errors import reply_error
from cogs.archive.search_ui import NO_MENTIONS, jump_url
from forumbot.services.errors import UserFacingError
from forumbot.services.publishing import PublishResult, shorten

if TYPE_CHECKING:
    from forumbot.domain.article import ParsedArticle
    from forumbot.services.archive import LoadedItem

PREVIEW_ARTICLES = 5
StoreArticles = Callable[[str, Sequence["ParsedArticle"]], Awaitable[list["LoadedItem"]]]
PublishOne = Callable[[int, int], Awaitable[PublishResult]]


def thread_link(guild_id: int, thread_id: int) -> str:
    return f"<#{thread_id}> ({jump_url(guild_id, thread_id)})"


VERBS = {
    "published": "Published",
    "resumed": "Published (resumed)",
    "revised": "Revision notice posted",
    "already": "Already published",
}


def publish_line(guild_id: int, result: PublishResult) -> str:
    verb = VERBS.get(result.status, "Published")
    return f"{verb}: **{shorten(result.title, 100)}** → {thread_link(guild_id, result.thread_id)}"


class LoadPreview(discord.ui.View):
    """Confirm/Cancel for /article load; nothing is stored before Confirm."""

    def __init__(
        self,
        *,
        store: StoreArticles,
        publish_one: PublishOne,
        author_id: int,
        name: str,
        articles: list[ParsedArticle],
        publish: bool,
    ) -> None:
        super().__init__(timeout=600)
        self.store = store
        self.publish_one = publish_one
        self.author_id = author_id
        self.name = name
        self.articles = articles
        self.publish = publish

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.author_id:
            await interaction.response.send_message(
                "Only the person who loaded the file can confirm it.", ephemeral=True
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await reply_error(interaction, error)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(content="Storing…", embed=None, view=None)
        items = await self.store(self.name, self.articles)
        lines = [
            f"{i.status.title()}: **{shorten(i.title, 100)}** (#{i.article_id})" for i in items
        ]
        if self.publish and interaction.guild_id is not None:
            for item in items:
                try:
                    result = await self.publish_one(interaction.guild_id, item.article_id)
                except UserFacingError as exc:  # stored anyway: say why it is not posted
                    lines.append(f"Not published: {exc}")
                    break
                lines.append(publish_line(interaction.guild_id, result))
        await interaction.edit_original_response(
            content="\n".join(lines)[:2000], allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled; nothing was stored.", embed=None, view=None
        )


def preview_embed(name: str, articles: list[ParsedArticle]) -> discord.Embed:
    embed = discord.Embed(title=shorten(f"Preview: {name}", 256))
    for parsed in articles[:PREVIEW_ARTICLES]:
        details = [
            f"by {shorten(parsed.author, 100)}" if parsed.author else "no author",
            f"{len(parsed.paragraphs)} passages",
            f"{len(parsed.comments)} comments",
        ]
        if parsed.tags:
            details.append("tags: " + ", ".join(shorten(t, 20) for t in parsed.tags[:5]))
        value = " · ".join(details)
        if parsed.warnings:
            value += "\n⚠ " + "\n⚠ ".join(shorten(w, 150) for w in parsed.warnings[:3])
        embed.add_field(
            name=shorten(parsed.title or "Untitled", 256), value=shorten(value, 1024), inline=False
        )
    if len(articles) > PREVIEW_ARTICLES:
        embed.set_footer(text=f"… and {len(articles) - PREVIEW_ARTICLES} more articles")
    return embed
