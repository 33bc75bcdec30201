"""Errors the moderation services raise for things a user did or asked; the message is a short
sentence fit to show them (the bot's error handler renders every UserFacingError)."""

from __future__ import annotations

from forumbot.services import errors


class ModerationError(errors.UserFacingError):
    """A moderation request that cannot be carried out (the message says why)."""


class NotFound(ModerationError, errors.NotFound):
    pass


class NotAllowed(ModerationError, errors.PermissionDenied):
    pass


class InvalidRules(ModerationError, errors.InvalidInput):
    pass
