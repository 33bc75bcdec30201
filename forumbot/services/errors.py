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
