"""Publishing replies and the /article load preview (Confirm/Cancel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord.utils import escape_markdown

from cogs._views import OwnedView
from cogs.archive.search_ui import NO_MENTIONS, jump_url
from forumbot.domain.citation import escape_keeping_emphasis
from forumbot.domain.ingest.review import suspect_passages
from forumbot.services.errors import UserFacingError
from forumbot.services.publishing import PublishResult, shorten

if TYPE_CHECKING:
    from forumbot.domain.article import ParsedArticle
    from forumbot.services.archive import LoadedItem, LoadPlan
    from forumbot.services.publishing import PublicationInfo, RevisionChange

    RevisionPreview = tuple[PublicationInfo, RevisionChange]

PREVIEW_ARTICLES = 5
StoreArticles = Callable[[str, Sequence["ParsedArticle"]], Awaitable[list["LoadedItem"]]]
PublishOne = Callable[[int, int], Awaitable[PublishResult]]


def thread_link(guild_id: int, thread_id: int) -> str:
    return f"<#{thread_id}> ({jump_url(guild_id, thread_id)})"


VERBS = {
    "published": "Published",
    "resumed": "Published (resumed)",
    "revised": "Forum post updated to the revision",
    "already": "Already published",
}


def publish_line(guild_id: int, result: PublishResult) -> str:
    verb = VERBS.get(result.status, "Published")
    return f"{verb}: **{shorten(result.title, 100)}** → {thread_link(guild_id, result.thread_id)}"


class LoadPreview(OwnedView):
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
        super().__init__(
            owner_id=author_id,
            refusal="Only the person who loaded the file can confirm it.",
            timeout=600,
        )
        self.store = store
        self.publish_one = publish_one
        self.name = name
        self.articles = articles
        self.publish = publish

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


PREVIEW_PASSAGES = 3
PREVIEW_PASSAGE_CHARS = 140
FIELD_CHARS = 950  # 5 fields of this plus names stay under the embed's 6000 in total
NAME_CHARS = 100


def _what_confirm_does(
    plan: LoadPlan | None, forum: RevisionPreview | None, *, publish: bool
) -> list[str]:
    if plan is None or plan.status == "new":
        return ["**Confirm creates a new article.**"]
    if plan.status == "unchanged":
        return [f"**Same as #{plan.article_id}**: Confirm stores nothing."]
    lines = [
        f"**Confirm revises #{plan.article_id}** (revision {plan.revision} → "
        f"{(plan.revision or 0) + 1}: {plan.added} passages new or changed, "
        f"{plan.removed} gone)."
    ]
    if forum is None:
        return lines
    info, change = forum
    post = f"<#{info.thread_id}>"
    edits = []
    if change.edits:
        edits.append(f"{len(change.edits)} messages edited")
    if change.added:
        edits.append(f"{len(change.added)} added")
    if change.removed:
        edits.append(f"{len(change.removed)} emptied")
    if change.retitled:
        edits.append(f"renamed to “{shorten(change.plan.title, 60)}”")
    done = ", ".join(edits) or "only a revision notice"
    when = "on Confirm" if publish else "at the next /article publish"
    lines.append(f"Its forum post {post} is updated {when}: {done}, plus a short notice.")
    return lines


def preview_embed(
    name: str,
    articles: list[ParsedArticle],
    plans: Sequence[LoadPlan] = (),
    forum: dict[int, RevisionPreview] | None = None,
    *,
    publish: bool = False,
) -> discord.Embed:
    """Each article: what Confirm does, its counts, its first passages and anything suspect."""
    embed = discord.Embed(title=shorten(f"Preview: {name}", 256))
    forum = forum or {}
    for index, parsed in enumerate(articles[:PREVIEW_ARTICLES]):
        plan = plans[index] if index < len(plans) else None
        details = [
            f"by {shorten(parsed.author, 100)}" if parsed.author else "no author",
            f"{len([p for p in parsed.paragraphs if p.strip()])} passages",
            f"{len(parsed.comments)} comments",
        ]
        if parsed.tags:
            details.append("tags: " + ", ".join(shorten(t, 20) for t in parsed.tags[:5]))
        lines = [*_what_confirm_does(plan, forum.get(index), publish=publish), " · ".join(details)]
        shown = [p for p in parsed.paragraphs if p.strip()][:PREVIEW_PASSAGES]
        for number, text in enumerate(shown, start=1):
            heading = parsed.heading_of(number - 1)
            section = f"*{escape_markdown(shorten(heading, 40))}* · " if heading else ""
            shown_text = escape_keeping_emphasis(shorten(text, PREVIEW_PASSAGE_CHARS))
            lines.append(f"> **¶{number}** {section}{shown_text}")
        warnings = [shorten(w, 150) for w in parsed.warnings[:3]]
        warnings += [f"¶{n} {why}" for n, why in suspect_passages(parsed)[:4]]
        lines += [f"⚠ {escape_markdown(w)}" for w in warnings]
        embed.add_field(
            name=shorten(parsed.title or "Untitled", NAME_CHARS),
            value=shorten_lines(lines, FIELD_CHARS),
            inline=False,
        )
    if len(articles) > PREVIEW_ARTICLES:
        embed.set_footer(text=f"… and {len(articles) - PREVIEW_ARTICLES} more articles")
    return embed


def shorten_lines(lines: list[str], limit: int) -> str:
    """Whole lines while they fit, then a count of what was left out."""
    out: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        rest = len(lines) - index
        tail = len(f"\n… {rest} more lines")
        if size + len(line) + 1 > limit - tail:
            out.append(f"… {rest} more lines")
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)
