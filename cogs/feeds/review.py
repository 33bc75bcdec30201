"""The mod-log card of a feed entry awaiting review, and its Publish / Skip buttons (dynamic
items: their custom_id carries the entry, so they keep working after a restart)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from cogs._errors import reply_error
from forumbot.services.errors import PermissionDenied
from forumbot.services.publishing import shorten

if TYPE_CHECKING:
    from forumbot.bot.services import Services
    from forumbot.services.feeds import FeedPort, ReviewCard

NO_MENTIONS = discord.AllowedMentions.none()
CUSTOM_ID = "fb:feed:{action}:{entry}"
MARKER = re.compile(r"^fb:feed:(?:publish|skip):(\d+)$")


def card_embed(card: ReviewCard) -> discord.Embed:
    embed = discord.Embed(
        title=shorten(card.title or "Untitled", 256),
        url=card.link if card.link and len(card.link) <= 2000 else None,
        description=shorten(card.opening, 600),
    )
    embed.set_author(name=shorten(f"New in {card.feed_title}", 250))
    details = [f"{card.passages} passages"]
    if card.author:
        details.append(f"by {shorten(card.author, 100)}")
    embed.set_footer(text=" · ".join(details) + f" · feed {card.feed_id}, entry {card.entry_id}")
    return embed


def card_view(entry_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReviewButton(entry_id, "publish"))
    view.add_item(ReviewButton(entry_id, "skip"))
    return view


def card_entry(message: discord.Message) -> int | None:
    """The entry a bot message is the review card of (None: not a card)."""
    for row in message.components:
        for child in getattr(row, "children", []):
            found = MARKER.match(getattr(child, "custom_id", None) or "")
            if found:
                return int(found.group(1))
    return None


class ReviewButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"fb:feed:(?P<action>publish|skip):(?P<entry>\d{1,12})",
):
    def __init__(self, entry_id: int, action: str) -> None:
        publish = action == "publish"
        super().__init__(
            discord.ui.Button(
                label="Publish" if publish else "Skip",
                style=discord.ButtonStyle.success if publish else discord.ButtonStyle.secondary,
                custom_id=CUSTOM_ID.format(action=action, entry=entry_id),
            )
        )
        self.entry_id = entry_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> ReviewButton:
        return cls(int(match["entry"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self._decide(interaction)
        except Exception as exc:
            await reply_error(interaction, exc)

    async def _decide(self, interaction: discord.Interaction[Any]) -> None:
        services: Services = interaction.client.services
        permissions = getattr(interaction, "permissions", None)
        if interaction.guild_id is None or not (permissions and permissions.manage_guild):
            raise PermissionDenied("You need the Manage Server permission to decide on feeds.")
        await interaction.response.defer()
        port: FeedPort = interaction.client.get_cog("FeedsCog").port
        title, article_id = await services.feed_poller.decide(
            port, interaction.guild_id, self.entry_id, publish=self.action == "publish"
        )
        who = interaction.user.mention
        if article_id is None:
            line = f"Skipped by {who}: **{shorten(title, 100)}** (not stored)."
        else:
            line = f"Published by {who}: **{shorten(title, 100)}** (article #{article_id})."
        await interaction.edit_original_response(
            content=line, view=None, allowed_mentions=NO_MENTIONS
        )
