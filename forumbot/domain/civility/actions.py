"""Actions a rule can ask for, ordered mildest first so that `max()` picks the harshest."""

from __future__ import annotations

from enum import IntEnum


class Action(IntEnum):
    NONE = 0  # nothing happens
    LOG = 1  # recorded for moderators only; the member sees nothing
    NUDGE = 2  # the member is told which guideline the message strains; it stays up
    HOLD = 3  # hidden until a moderator reviews it
    REMOVE = 4  # deleted, the member is told why and how to appeal
    TIMEOUT = 5  # deleted and the member is timed out

    @property
    def label(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        return self.label

    @classmethod
    def parse(cls, value: object) -> Action:
        """Accept "hold", "HOLD" or an Action; raise ValueError otherwise."""
        if isinstance(value, Action):
            return value
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                pass
        raise ValueError(f"must be one of {', '.join(a.label for a in cls)}")
