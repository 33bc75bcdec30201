"""Typed options: an article chosen by autocomplete (or typed as an id or a title)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from forumbot.services.archive import ArticleInfo
from forumbot.services.publishing import shorten

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot

MAX_CHOICES = 25


def _services(interaction: discord.Interaction[Any]) -> Any:
    bot: ForumBot = interaction.client
    return bot.services


def article_choice_name(article: ArticleInfo) -> str:
    return shorten(f"{article.title} (#{article.id})", 100)


class ArticleTransformer(app_commands.Transformer):
    """Autocompletes article titles; resolves the value (an id or a title) to an ArticleInfo.
    Both see only the guild's library and the shared one.

    A miss raises ArticleNotFound, which the error handler turns into a short reply."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> ArticleInfo:
        info: ArticleInfo = await _services(interaction).archive.resolve_article(
            str(value), guild_id=interaction.guild_id
        )
        return info

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str
    ) -> list[app_commands.Choice[str]]:
        articles = await _services(interaction).archive.suggest_articles(
            str(value), limit=MAX_CHOICES, guild_id=interaction.guild_id
        )
        return [
            app_commands.Choice(name=article_choice_name(a), value=str(a.id))
            for a in articles[:MAX_CHOICES]
        ]


ArticleOption = app_commands.Transform[ArticleInfo, ArticleTransformer]
