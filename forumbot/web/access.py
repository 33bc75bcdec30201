"""Who may do what in a guild, decided per request from the bot's own view of the member: the
same checks the slash commands make (cogs/moderation/access.py). The OAuth guild list grants
nothing; the bot side implements `AccessPort` with discord.py (forumbot/bot/web.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class MemberAccess:
    guild_id: int
    guild_name: str
    # Manage Server (or Administrator): settings, rules, articles.
    manage_guild: bool
    # The moderator role, Moderate Members or Administrator: the queue, cases, members.
    moderator: bool


class AccessPort(Protocol):
    async def member_access(self, guild_id: int, user_id: int) -> MemberAccess | None:
        """The member's access, or None when the bot is not in that guild or they are not a
        member of it."""
        ...
