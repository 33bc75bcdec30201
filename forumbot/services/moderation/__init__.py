"""Moderation: screening comments against the civility rules, the ladder of actions, the review
queue, appeals, thread controls and the append-only ledger. Cogs talk to `ModerationService`;
Discord is reached only through the port (`port.ModerationPort`)."""

from forumbot.services.moderation.service import ModerationService

__all__ = ["ModerationService"]
