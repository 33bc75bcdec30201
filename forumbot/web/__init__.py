"""The web dashboard: server-rendered pages for moderators and admins, signed in with Discord.

It keeps no state of its own in a process: sessions are signed cookies, rate limits and
everything shown live in the database, and every action goes through the same services as the
slash commands and buttons. Discord is reached through two ports the bot side implements
(`forumbot.bot.web`): who a member is in a guild (`access.AccessPort`), and the moderation
port inside the ModerationService it is handed.
"""

from forumbot.web.app import create_app
from forumbot.web.context import WebContext

__all__ = ["WebContext", "create_app"]
