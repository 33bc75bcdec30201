"""Archive commands: /article (publish, publish-all, load, show), /search, /cite, and the
"Find in archive" message menu. Glue only: parse, call a service, render."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs._errors import reply_error
from cogs._forum import DiscordForumPort
from cogs._options import ArticleOption
from cogs._search_ui import (
    NO_MENTIONS,
    SearchPageButton,
    ShareButton,
    jump_url,
    make_search_ref,
    passage_jump_url,
    render_results,
)
from forumbot.domain.citation import parse_passage_range
from forumbot.domain.ingest import IngestError, parse_document
from forumbot.services.archive import ArticleInfo
from forumbot.services.errors import InvalidInput, NotFound, UserFacingError
from forumbot.services.publishing import PublishResult, shorten

if TYPE_CHECKING:
    from forumbot.bot import ForumBot
    from forumbot.domain.article import ParsedArticle

log = logging.getLogger(__name__)

manage_guild = app_commands.checks.has_permissions(manage_guild=True)
PREVIEW_ARTICLES = 5


def _thread_link(guild_id: int, thread_id: int) -> str:
    return f"<#{thread_id}> ({jump_url(guild_id, thread_id)})"


VERBS = {
    "published": "Published",
    "resumed": "Published (resumed)",
    "revised": "Revision notice posted",
    "already": "Already published",
}


def _publish_line(guild_id: int, result: PublishResult) -> str:
    verb = VERBS.get(result.status, "Published")
    return f"{verb}: **{shorten(result.title, 100)}** → {_thread_link(guild_id, result.thread_id)}"


class LoadPreview(discord.ui.View):
    """Confirm/Cancel for /article load; nothing is stored before Confirm."""

    def __init__(
        self,
        cog: ArchiveCog,
        *,
        author_id: int,
        name: str,
        articles: list[ParsedArticle],
        publish: bool,
    ) -> None:
        super().__init__(timeout=600)
        self.cog = cog
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
        items = await self.cog.services.archive.store_articles(self.name, self.articles)
        lines = [
            f"{i.status.title()}: **{shorten(i.title, 100)}** (#{i.article_id})" for i in items
        ]
        if self.publish and interaction.guild_id is not None:
            for item in items:
                result = await self.cog.publish_one(interaction.guild_id, item.article_id)
                lines.append(_publish_line(interaction.guild_id, result))
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


_QUOTE_PREFIX = re.compile(r"^\s*(>>>|>)\s?")
_WORD = re.compile(r"\w+", re.UNICODE)


def quoted_text(content: str) -> str:
    """The quoted part of a message: its '>' lines if any (minus attribution), else all of it."""
    lines = content.splitlines()
    quoted = [_QUOTE_PREFIX.sub("", line) for line in lines if _QUOTE_PREFIX.match(line)]
    text = " ".join(quoted) if quoted else content
    text = re.sub(r"^\s*(\*\*)?¶\s*\d+(\*\*)?\s*", "", text)  # a leading passage number
    return " ".join(text.replace("**", "").replace("*", "").split())


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


class ArchiveCog(commands.Cog):
    article = app_commands.Group(
        name="article", description="Articles of the archive", guild_only=True
    )

    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.port = DiscordForumPort(bot)
        self._resumed = False
        self.find_menu = app_commands.ContextMenu(
            name="Find in archive", callback=self.find_in_archive
        )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SearchPageButton, ShareButton)
        self.bot.tree.add_command(self.find_menu)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SearchPageButton, ShareButton)
        self.bot.tree.remove_command(self.find_menu.name, type=self.find_menu.type)

    # -- publishing -------------------------------------------------------------------------------

    async def publish_one(self, guild_id: int, article_id: int) -> PublishResult:
        config = await self.services.guilds.require(guild_id)
        return await self.services.publishing.publish(
            self.port, guild_id=guild_id, forum_id=config.forum_channel_id, article_id=article_id
        )

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Finish publications a previous run left half done (crash, kill, outage)."""
        if self._resumed:
            return
        self._resumed = True
        for guild in self.bot.guilds:
            pending = await self.services.publishing.pending(guild.id)
            for article_id in pending:
                try:
                    await self.publish_one(guild.id, article_id)
                except UserFacingError as exc:
                    log.info(
                        "resume postponed", extra={"article_id": article_id, "reason": str(exc)}
                    )
                except Exception:
                    log.exception("resuming a publication failed", extra={"article_id": article_id})

    @article.command(name="publish", description="Publish an article as a forum post")
    @app_commands.describe(article="The article (start typing its title)")
    @manage_guild
    async def publish(self, interaction: discord.Interaction[Any], article: ArticleOption) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.publish_one(interaction.guild_id, article.id)
        await interaction.followup.send(
            _publish_line(interaction.guild_id, result),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @article.command(name="publish-all", description="Publish every archive article not yet posted")
    @manage_guild
    async def publish_all(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        await self.services.guilds.require(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        articles = await self.services.archive.list_articles()
        done: list[PublishResult] = []
        for info in sorted(articles, key=lambda a: a.id):
            done.append(await self.publish_one(interaction.guild_id, info.id))
        new = sum(1 for r in done if r.status in ("published", "resumed"))
        revised = sum(1 for r in done if r.status == "revised")
        summary = f"{new} published, {len(done) - new - revised} already there, "
        summary += f"{revised} revised, " if revised else ""
        summary += f"{len(done)} articles in all."
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @article.command(name="show", description="Link to an article's forum post, with a summary")
    @app_commands.describe(article="The article (start typing its title)")
    async def show(self, interaction: discord.Interaction[Any], article: ArticleOption) -> None:
        assert interaction.guild_id is not None
        embed = self.summary_embed(article)
        pub = await self.services.publishing.publication(interaction.guild_id, article.id)
        if pub is not None and pub.thread_id is not None:
            status = "" if pub.state == "done" else f" (publishing: {pub.sent}/{pub.messages})"
            embed.add_field(
                name="Forum post",
                value=_thread_link(interaction.guild_id, pub.thread_id) + status,
                inline=False,
            )
        else:
            embed.add_field(name="Forum post", value="Not published yet.", inline=False)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @staticmethod
    def summary_embed(article: ArticleInfo) -> discord.Embed:
        embed = discord.Embed(title=shorten(article.title or "Untitled", 256))
        lines = []
        if article.author:
            lines.append(f"by {shorten(article.author, 200)}")
        if article.date:
            lines.append(article.date)
        lines.append(f"{article.passages} passages · {article.comments} comments")
        if article.tags:
            lines.append("tags: " + ", ".join(shorten(t, 40) for t in article.tags[:10]))
        if article.source:
            lines.append(f"source: <{shorten(article.source, 500)}>")
        embed.description = "\n".join(lines)
        embed.set_footer(text=f"article #{article.id} · revision {article.revision or 1}")
        return embed

    @article.command(
        name="load", description="Load an article file (txt, md, html) into the archive"
    )
    @app_commands.describe(file="The document", publish="Also publish it in the forum")
    @manage_guild
    async def load(
        self, interaction: discord.Interaction[Any], file: discord.Attachment, publish: bool = False
    ) -> None:
        limit = self.services.settings.max_file_bytes
        if file.size > limit:
            raise InvalidInput(
                f"{file.filename}: too large ({file.size} bytes; the limit is {limit})."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        try:
            articles = await asyncio.to_thread(parse_document, file.filename, data, max_bytes=limit)
        except IngestError as exc:
            raise InvalidInput(f"{shorten(file.filename, 100)}: {shorten(str(exc), 300)}") from exc
        if not articles:
            raise InvalidInput(f"{shorten(file.filename, 100)}: no article found in the file.")
        view = LoadPreview(
            self,
            author_id=interaction.user.id,
            name=file.filename,
            articles=list(articles),
            publish=publish,
        )
        await interaction.followup.send(
            embed=preview_embed(file.filename, list(articles)), view=view, ephemeral=True
        )

    # -- members ----------------------------------------------------------------------------------

    @app_commands.command(name="search", description="Search the archive's passages")
    @app_commands.describe(
        query="Words to find", author="Only this author", article="Only this article"
    )
    @app_commands.guild_only()
    async def search(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, 200],
        author: app_commands.Range[str, 1, 100] | None = None,
        article: ArticleOption | None = None,
    ) -> None:
        ref = await make_search_ref(self.services, query, author, article.id if article else None)
        embed, view = await render_results(self.services, interaction.guild_id, ref, 0)
        await interaction.response.send_message(
            embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="cite", description="Quote passages of an article with attribution")
    @app_commands.describe(
        article="The article", passage='A passage number or range: "12" or "12-14"'
    )
    @app_commands.guild_only()
    async def cite(
        self,
        interaction: discord.Interaction[Any],
        article: ArticleOption,
        passage: app_commands.Range[str, 1, 20],
    ) -> None:
        try:
            first, last = parse_passage_range(passage)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        url = await passage_jump_url(self.services, interaction.guild_id, article.id, first)
        text = await self.services.archive.cite(article.id, first, last, jump_url=url)
        await interaction.response.send_message(text, allowed_mentions=NO_MENTIONS)

    async def find_in_archive(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        quote = quoted_text(message.content)
        words = _norm(quote).split()
        if len(words) < 3:
            raise InvalidInput("That message has too little text to look up.")
        # The first words are enough to find it; a cut last word ("…") would not match.
        query = " ".join(words[:12] if len(words) > 12 else words[:-1] if len(words) > 4 else words)
        hits = await self.services.archive.search(query, limit=10)
        target = _norm(quote)
        probe = " ".join(words[:12])
        match = next((h for h in hits if target in _norm(h.text)), None)
        match = match or next((h for h in hits if probe in _norm(h.text)), None)
        if match is None:
            raise NotFound("I could not find that text in the archive.")
        url = await passage_jump_url(
            self.services, interaction.guild_id, match.article_id, match.passage
        )
        text = await self.services.archive.cite(
            match.article_id, match.passage, match.passage, jump_url=url
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: ForumBot) -> None:
    await bot.add_cog(ArchiveCog(bot))
