"""Archive commands: /article (publish, publish-all, load, show), /search, /cite, and the
"Find in archive" message menu. Glue only: parse, call a service, render."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.archive.deadline import DEFER_AFTER_S, send_ephemeral_results
from cogs.archive.delete_ui import DeleteConfirm, delete_embed
from cogs.archive.find import normalise, quoted_text, search_terms
from cogs.archive.forum import DiscordForumPort
from cogs.archive.options import ArticleOption
from cogs.archive.publish_ui import LoadPreview, preview_embed, publish_line, thread_link
from cogs.archive.search_ui import (
    NO_MENTIONS,
    SearchPageButton,
    ShareButton,
    make_search_ref,
    passage_jump_url,
    render_results,
)
from forumbot.domain.article import ParsedArticle
from forumbot.domain.citation import parse_passage_range
from forumbot.domain.ingest import IngestError, display_name, parse_document
from forumbot.services.archive import ArticleInfo, draft_record
from forumbot.services.errors import InvalidInput, NotFound, UserFacingError
from forumbot.services.publishing import DiscordUnavailable, PublishResult, shorten

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot

log = logging.getLogger(__name__)

manage_guild = app_commands.checks.has_permissions(manage_guild=True)
PREVIEW_ARTICLES = 5


class ArchiveCog(commands.Cog):
    article = app_commands.Group(
        name="article", description="Articles of the archive", guild_only=True
    )

    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.port = DiscordForumPort(bot)
        self._resumed = False
        # /search answers directly unless its results are not ready this long after the
        # interaction was created; then it defers first (tests set 0 to force the deferral).
        self.defer_after = DEFER_AFTER_S
        self.find_menu = app_commands.ContextMenu(
            name="Find in archive", callback=self.find_in_archive
        )

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SearchPageButton, ShareButton)
        self.bot.tree.add_command(self.find_menu)
        # Over the HTTP interactions endpoint a busy bot defers /search at once (ephemeral).
        self.bot.deferrable_commands["search"] = True

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SearchPageButton, ShareButton)
        self.bot.tree.remove_command(self.find_menu.name, type=self.find_menu.type)
        self.bot.deferrable_commands.pop("search", None)

    # -- publishing -------------------------------------------------------------------------------

    async def publish_one(self, guild_id: int, article_id: int) -> PublishResult:
        config = await self.services.guilds.require(guild_id)
        return await self.services.publishing.publish(
            self.port, guild_id=guild_id, forum_id=config.forum_channel_id, article_id=article_id
        )

    async def close_removed_posts(self, guild_id: int) -> int:
        return await self.services.removal.close_posts(self.port, guild_id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Finish publications a previous run left half done (crash, kill, outage) and close the
        forum posts of articles deleted meanwhile (e.g. with `forumbot delete`), once across all
        processes: the holder of the scheduler lease does it for every guild."""
        if self._resumed or not self.bot.holds_scheduler():
            return
        self._resumed = True
        await self._resume_publications()

    @commands.Cog.listener()
    async def on_scheduler_acquired(self) -> None:
        """This process took the scheduler over from one that died: finish what it left."""
        self._resumed = True
        await self._resume_publications()

    async def _resume_publications(self) -> None:
        for guild in self.bot.guilds:
            try:
                await self.close_removed_posts(guild.id)
            except Exception:
                log.exception("closing removed articles' posts failed", extra={"guild": guild.id})
        for guild_id in await self.services.publishing.pending_guilds():
            pending = await self.services.publishing.pending(guild_id)
            for article_id in pending:
                try:
                    await self.publish_one(guild_id, article_id)
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
            publish_line(interaction.guild_id, result),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @article.command(name="publish-all", description="Publish every archive article not yet posted")
    @manage_guild
    async def publish_all(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        await self.services.guilds.require(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        articles = await self.services.archive.list_articles(guild_id=interaction.guild_id)
        done: list[PublishResult] = []
        for info in sorted(articles, key=lambda a: a.id):
            done.append(await self.publish_one(interaction.guild_id, info.id))
        new = sum(1 for r in done if r.status in ("published", "resumed"))
        revised = sum(1 for r in done if r.status == "revised")
        summary = f"{new} published, {len(done) - new - revised} already there, "
        summary += f"{revised} revised, " if revised else ""
        summary += f"{len(done)} articles in all."
        await interaction.followup.send(summary, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @article.command(name="delete", description="Delete an article from the archive")
    @app_commands.describe(article="The article (start typing its title)")
    @manage_guild
    async def delete(self, interaction: discord.Interaction[Any], article: ArticleOption) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        plan = await self.services.removal.plan(article.id)

        async def confirmed(confirming: discord.Interaction[Any]) -> str:
            user = confirming.user
            async with self.services.publishing.lock(guild_id, article.id):
                result = await self.services.removal.delete(
                    article.id, actor=f"{user.name} ({user.id})", guild_id=guild_id
                )
            self.services.publishing.forget(article.id)
            line = f"Deleted #{result.article_id} **{shorten(result.title, 100)}**."
            try:
                closed = await self.close_removed_posts(guild_id)
            except (UserFacingError, DiscordUnavailable) as exc:  # closed at the next start
                return f"{line} Its forum post is not closed yet: {exc}"
            return line + (" Its forum post is archived with a notice." if closed else "")

        await interaction.response.send_message(
            embed=delete_embed(guild_id, plan),
            view=DeleteConfirm(author_id=interaction.user.id, delete=confirmed),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

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
                value=thread_link(interaction.guild_id, pub.thread_id) + status,
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
        name="load",
        description="Load an article file (txt, md, html) or web page into this server's library",
    )
    @app_commands.describe(
        file="The document",
        url="Or a link to the page (https://…)",
        publish="Also publish it in the forum",
    )
    @manage_guild
    async def load(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, 2000] | None = None,
        publish: bool = False,
    ) -> None:
        if (file is None) == (url is None):
            raise InvalidInput("Give either a file or a url (one of them).")
        if url is not None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            fetched = await self.services.links.fetch(url)
            # What an admin loads goes to this guild's library only; the page's canonical URL
            # is the article's source and key, so loading it again revises it.
            await self._preview(interaction, fetched.source, fetched.articles, publish)
            return
        assert file is not None
        limit = self.services.settings.max_file_bytes
        shown = shorten(display_name(file.filename), 100)  # one line, whatever the name holds
        if file.size > limit:
            raise InvalidInput(f"{shown}: too large ({file.size} bytes; the limit is {limit}).")
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        try:
            articles = await asyncio.to_thread(parse_document, file.filename, data, max_bytes=limit)
        except IngestError as exc:
            raise InvalidInput(f"{shown}: {shorten(str(exc), 300)}") from exc
        if not articles:
            raise InvalidInput(f"{shown}: no article found in the file.")
        await self._preview(interaction, file.filename, articles, publish)

    async def _preview(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        articles: list[ParsedArticle],
        publish: bool,
    ) -> None:
        """The load preview (what Confirm does, first passages, warnings) with Confirm/Cancel."""
        plans = await self.services.archive.plan_load(articles, guild_id=interaction.guild_id)
        forum: dict[int, Any] = {}
        for index, (parsed, plan) in enumerate(zip(articles, plans, strict=True)):
            if plan.status == "revises" and index < PREVIEW_ARTICLES:
                assert plan.article_id is not None and plan.revision is not None
                draft = draft_record(parsed, plan.article_id, plan.revision + 1)
                found = await self.services.publishing.preview_revision(
                    interaction.guild_id or 0, plan.article_id, draft
                )
                if found is not None:
                    forum[index] = found
        view = LoadPreview(
            # What an admin loads goes to this guild's library only.
            store=functools.partial(
                self.services.archive.store_articles, guild_id=interaction.guild_id
            ),
            publish_one=self.publish_one,
            author_id=interaction.user.id,
            name=name,
            articles=list(articles),
            publish=publish,
        )
        shown = shorten(display_name(name), 100)  # one line, whatever the name holds
        embed = preview_embed(shown, list(articles), plans, forum, publish=publish)
        await interaction.followup.send(
            embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    # -- members ----------------------------------------------------------------------------------

    @app_commands.command(name="search", description="Search the archive's passages")
    @app_commands.describe(
        query='Words to find (also author:"…", tag:…, order:newest)',
        author="Only this author (alone: list their passages)",
        article="Only this article (alone: list its passages)",
    )
    @app_commands.guild_only()
    async def search(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, 200] | None = None,
        author: app_commands.Range[str, 1, 100] | None = None,
        article: ArticleOption | None = None,
    ) -> None:
        if not (query or "").strip() and not author and article is None:
            raise InvalidInput("Give words to search for, or an author or article to list.")

        async def results() -> tuple[discord.Embed, discord.ui.View]:
            article_id = article.id if article else None
            ref = await make_search_ref(
                self.services,
                query or "",
                author,
                article_id,
                guild_id=interaction.guild_id,
                user_id=interaction.user.id,
            )
            return await render_results(
                self.services, interaction.guild_id, ref, 0, user_id=interaction.user.id
            )

        await send_ephemeral_results(
            interaction, results(), defer_after=self.defer_after, slots=self.bot.answer_slots
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
        text = await self.services.archive.cite(
            article.id, first, last, jump_url=url, guild_id=interaction.guild_id
        )
        await interaction.response.send_message(text, allowed_mentions=NO_MENTIONS)

    async def find_in_archive(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        quote = quoted_text(message.content)
        words = normalise(quote).split()
        if len(words) < 3:
            raise InvalidInput("That message has too little text to look up.")
        hits = await self.services.archive.search(
            search_terms(quote), limit=10, guild_id=interaction.guild_id
        )
        target = " ".join(words)
        probe = " ".join(words[:12])
        match = next((h for h in hits if target in normalise(h.text)), None)
        match = match or next((h for h in hits if probe in normalise(h.text)), None)
        if match is None:
            raise NotFound("I could not find that text in the archive.")
        url = await passage_jump_url(
            self.services, interaction.guild_id, match.article_id, match.passage
        )
        text = await self.services.archive.cite(
            match.article_id,
            match.passage,
            match.passage,
            jump_url=url,
            guild_id=interaction.guild_id,
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
