"""/rules: see, change (with a reason, audited), try and backtest the guild's civility rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
import yaml
from discord import app_commands
from discord.ext import commands

from cogs._pages import PAGE_CHARS, pack, send_pages, split_block
from cogs.moderation.access import MEMBER_PERMISSION, RULES_PERMISSION, require_moderator
from cogs.moderation.forms import NO_MENTIONS, TextModal, reply
from cogs.moderation.port import moderation
from forumbot.services.errors import InvalidInput
from forumbot.services.moderation.guidelines import guidelines
from forumbot.services.moderation.notices import excerpt
from forumbot.services.moderation.rules import plain

if TYPE_CHECKING:
    from forumbot.bot.client import ForumBot

MAX_RULES_FILE = 20_000
MODAL_TEXT_LIMIT = 4000


async def _read_rules_file(file: discord.Attachment) -> str:
    if file.size > MAX_RULES_FILE:
        raise InvalidInput(f"The file is larger than {MAX_RULES_FILE:,} bytes.")
    try:
        return (await file.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.") from None


def _code(text: str, limit: int = 3900) -> str:
    text = text.replace("```", "`\u200b``")
    if len(text) > limit:
        text = text[: limit - 20] + "\n… (truncated)"
    return f"```yaml\n{text}\n```"


_FIELD_NAMES = {
    "guideline": "Guideline",
    "description": "What it catches",
    "kind": "Kind",
    "action": "Action",
    "mode": "Mode",
    "severity": "Severity",
    "enabled": "Enabled",
    "applies_to": "Applies to",
    "languages": "Languages",
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


def rule_blocks(data: dict[str, Any]) -> list[str]:
    """A rule as readable text: its settings first, then each word or pattern list."""
    head = [f"**{_FIELD_NAMES[key]}:** {_value(data[key])}" for key in _FIELD_NAMES if key in data]
    blocks = ["\n".join(head)]
    for key, value in data.items():
        if key in _FIELD_NAMES or key == "id":
            continue
        if isinstance(value, list):
            blocks.append(f"**{key}** ({len(value)}): {_value(value)}")
        else:
            blocks.append(f"**{key}:** {_value(value)}")
    return blocks


class RulesCog(commands.Cog):
    rules = app_commands.Group(
        name="rules",
        description="The server's civility rules: list, show, change, test, backtest",
        guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    def __init__(self, bot: ForumBot) -> None:
        self.bot = bot
        self.service = moderation(bot)

    async def _rule_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        rules = await self.service.rules.rules_for(interaction.guild_id)
        needle = current.casefold()
        return [
            app_commands.Choice(name=f"{r.id} ({r.mode}, {r.action.label})"[:100], value=r.id)
            for r in rules.rules
            if needle in r.id or needle in r.guideline.casefold()
        ][:25]

    @app_commands.command(
        name="guidelines", description="The community guidelines and what breaking them means"
    )
    @app_commands.guild_only()
    async def guidelines(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        ruleset = await self.service.rules.rules_for(interaction.guild_id)
        blocks = [
            "What the bot checks every comment in article threads against. A moderator "
            "reviews anything held, and every action can be appealed with `/appeal`."
        ]
        for item in guidelines(ruleset):
            lines = [f"**{item.name[:1].upper()}{item.name[1:]}**"]
            lines += [f"- {c}" for c in item.covers]
            lines.append(f"At most: {item.consequence}.")
            blocks.append("\n".join(lines))
        await send_pages(interaction, "Community guidelines", pack(blocks))

    @rules.command(name="list", description="Every rule with its action, mode and guideline")
    async def list_rules(self, interaction: discord.Interaction[Any]) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        ruleset = await self.service.rules.rules_for(guild_id)
        lines = [
            f"`{r.id}` · {r.action.label} · {r.mode}{'' if r.enabled else ' · off'} — {r.guideline}"
            for r in ruleset.rules
        ]
        await send_pages(
            interaction,
            f"{len(lines)} rules",
            pack(["\n".join(lines)]) if lines else ["No rules."],
        )

    @rules.command(name="show", description="One rule in full, or the stored overrides")
    @app_commands.describe(rule="Rule id (leave empty for the server's overrides and changes)")
    @app_commands.autocomplete(rule=_rule_choices)
    async def show(self, interaction: discord.Interaction[Any], rule: str | None = None) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        if rule is not None:
            found = await self.service.rules.rule(guild_id, rule)
            data = plain(found.to_dict())
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
            await send_pages(
                interaction,
                f"Rule {found.id}",
                pack(rule_blocks(data)),
                full_text=text,
                filename=f"{found.id}.yaml",
                file_after=2,
            )
            return
        overrides = await self.service.rules.overrides(guild_id)
        changes = await self.service.rules.changes(guild_id, limit=10)
        blocks = [
            "Stored overrides (the shipped pack applies where these say nothing):"
            if overrides
            else "No overrides: the shipped rule pack applies as it is."
        ]
        if changes:
            blocks.append("**Recent changes**")
        for change in changes:
            blocks.append(
                f"Change #{change.id}: {change.change} {change.rule or ''} · <@{change.actor_id}>"
                f" · {discord.utils.format_dt(change.created_at, 'R')} · "
                f"{excerpt(change.reason, 200)}"
            )
        if overrides:
            blocks += [_code(part, PAGE_CHARS) for part in split_block(overrides, PAGE_CHARS - 20)]
        await send_pages(
            interaction,
            "Rule overrides",
            pack([b for b in blocks if b]),
            full_text=overrides or "# none: the shipped pack",
            filename="rule-overrides.yaml",
            file_after=2,
        )

    @rules.command(name="set", description="Replace the server's rule overrides (YAML)")
    @app_commands.describe(
        reason="Why (logged)", file="A YAML file; without one, a form opens with the current text"
    )
    async def set_rules(
        self,
        interaction: discord.Interaction[Any],
        reason: str,
        file: discord.Attachment | None = None,
    ) -> None:
        guild_id = await require_moderator(interaction, RULES_PERMISSION)
        actor = interaction.user.id

        async def save(target: discord.Interaction[Any], text: str) -> None:
            change = await self.service.set_rules(guild_id, text, actor_id=actor, reason=reason)
            await reply(
                target, f"Rules saved (change #{change.id}); they apply to new comments now."
            )

        if file is not None:
            text = await _read_rules_file(file)
            await interaction.response.defer(ephemeral=True, thinking=True)
            await save(interaction, text)
            return
        current = await self.service.rules.overrides(guild_id)
        if len(current) > MODAL_TEXT_LIMIT:
            raise InvalidInput("The overrides are too long for the form: attach a file instead.")
        await interaction.response.send_modal(
            TextModal(
                "Rule overrides (YAML)",
                "rules: - id: ...",
                save,
                default=current or None,
                max_length=MODAL_TEXT_LIMIT,
                required=False,
            )
        )

    @rules.command(name="mode", description="Switch a rule between enforce and shadow")
    @app_commands.describe(rule="Rule id", mode="enforce acts; shadow only records", reason="Why")
    @app_commands.autocomplete(rule=_rule_choices)
    async def mode(
        self,
        interaction: discord.Interaction[Any],
        rule: str,
        mode: Literal["enforce", "shadow"],
        reason: str,
    ) -> None:
        guild_id = await require_moderator(interaction, RULES_PERMISSION)
        change = await self.service.set_rule_mode(
            guild_id, rule, mode, actor_id=interaction.user.id, reason=reason
        )
        await interaction.response.send_message(
            f"Rule `{rule}` is now in {mode} mode (change #{change.id}).",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @rules.command(name="test", description="What the rules would do with a piece of text")
    @app_commands.describe(text="The text to try (nothing is stored or enforced)")
    async def test(self, interaction: discord.Interaction[Any], text: str) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        result = await self.service.test_text(guild_id, text)
        lines = [f"Action: **{result.level.name.lower()}**"]
        for hit in result.hits:
            lines.append(
                f"- `{hit.rule}` → {hit.level.name.lower()} ({hit.guideline}): "
                f"{excerpt(hit.excerpt or '', 80)}"
            )
        for hit in result.shadow:
            lines.append(f"- shadow `{hit.rule}` would {hit.level.name.lower()}")
        if len(lines) == 1:
            lines.append("No rule matched.")
        await send_pages(interaction, "Rule test", pack(["\n".join(lines)]))

    @rules.command(name="backtest", description="Run the rules over the archive and past comments")
    @app_commands.describe(
        rule="Only this rule (default: every rule, shadow ones included)",
        file="Proposed overrides (YAML, as /rules set takes them), tried before anyone saves them",
    )
    @app_commands.autocomplete(rule=_rule_choices)
    async def backtest(
        self,
        interaction: discord.Interaction[Any],
        rule: str | None = None,
        file: discord.Attachment | None = None,
    ) -> None:
        guild_id = await require_moderator(interaction, MEMBER_PERMISSION)
        proposed = await _read_rules_file(file) if file is not None else None
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.service.backtest(guild_id, rule_id=rule, overrides_yaml=proposed)
        which = "proposed" if proposed is not None else "current"
        head = [f"Backtest of {len(report.rules)} {which} rule(s):", *report.lines()]
        for name, counts in sorted(report.by_rule.items()):
            head.append(f"`{name}`: " + ", ".join(f"{a} {n}" for a, n in counts.items()))
        examples = [
            f"- `{example.rule}` would {example.action} — {example.where}: "
            f"{excerpt(example.text, 120)}"
            for example in report.examples
        ]
        blocks = ["\n".join(head)]
        if examples:
            blocks.append("**Examples**\n" + "\n".join(examples))
        full = "\n".join(
            head
            + ["", "Examples:"]
            + [f"- {e.rule} would {e.action} — {e.where}: {e.text}" for e in report.examples]
        )
        await send_pages(
            interaction,
            "Backtest",
            pack(blocks),
            full_text=full,
            filename="backtest.txt",
            file_after=0,  # the full report always comes as a file too
        )
