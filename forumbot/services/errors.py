"""Errors whose message is meant for the person who ran a command.

Discord-free on purpose: services raise them, the bot's single error handler turns them into a
short ephemeral reply. Anything else is a bug: logged with its traceback, user sees a generic line.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected failure; `str(error)` is one short sentence shown to the user."""


class NotConfigured(UserFacingError):
    """The guild has not run /setup yet."""

    def __init__(
        self, message: str = "This server is not set up yet: an admin runs /setup."
    ) -> None:
        super().__init__(message)


class NotFound(UserFacingError):
    """A referenced article, passage or thing does not exist."""


class InvalidInput(UserFacingError):
    """The user's input cannot be used (bad range, bad file, ...)."""


class PublishInterrupted(UserFacingError):
    """Discord failed mid-publish; the outbox keeps the progress and a re-run resumes."""


class PermissionDenied(UserFacingError):
    """The user lacks a permission the command needs."""


DATABASE_UNAVAILABLE = (
    "The database is not answering right now (it may be restarting), so this was not done. "
    "Try again in a minute; if it keeps happening, tell the bot's operator."
)


def database_unavailable(error: BaseException) -> str | None:
    """The sentence for the person who ran a command when `error` says the database is away for
    now (stopped, restarting, locked by another process), else None: an outage is not a bug."""
    from forumbot.storage.db import is_unavailable

    return DATABASE_UNAVAILABLE if is_unavailable(error) else None
