"""The action ladder: points per action, their decay, and escalation to timeouts.

Pure arithmetic, no storage: the ledger feeds it past actions, the pipeline asks it what the next
action should become. Points halve every `half_life`; a pardoned action counts for nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

# Discord refuses timeouts longer than 28 days.
MAX_TIMEOUT = timedelta(days=28)


class Level(IntEnum):
    """Member-facing severity, mildest first; the harshest applicable level wins."""

    NONE = 0
    LOG = 1
    NUDGE = 2
    HOLD = 3
    REMOVE = 4
    TIMEOUT = 5

    @classmethod
    def parse(cls, value: object) -> Level:
        """Accept our own levels, the civility engine's Action enum, or a name."""
        if isinstance(value, Level):
            return value
        name = getattr(value, "name", value)
        if isinstance(name, str) and name.upper() in cls.__members__:
            return cls[name.upper()]
        raise ValueError(f"unknown action {value!r}")


@dataclass(frozen=True, slots=True)
class LadderPolicy:
    """How points are earned, how fast they fade, and when they turn into a timeout."""

    nudge_points: float = 1.0
    hold_points: float = 2.0
    remove_points: float = 3.0
    timeout_points: float = 4.0
    warn_points: float = 2.0
    half_life_hours: float = 72.0
    # Decayed points (this action included) at which an action of `escalate_from` or harsher
    # also times the member out.
    timeout_threshold: float = 5.0
    escalate_from: str = "HOLD"
    first_timeout_minutes: float = 60.0
    # Each earlier timeout still remembered multiplies the next one.
    timeout_growth: float = 4.0
    # How long earlier timeouts count towards growth.
    timeout_memory_days: float = 30.0
    # Automatic slow mode: this many comments within `heat_window_seconds` in one thread sets
    # slow mode to `slowmode_seconds` for `slowmode_minutes`.
    heat_messages: int = 12
    heat_window_seconds: float = 60.0
    slowmode_seconds: int = 30
    slowmode_minutes: float = 15.0
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def points_for(self, kind: str) -> float:
        return {
            "nudge": self.nudge_points,
            "hold": self.hold_points,
            "remove": self.remove_points,
            "timeout": self.timeout_points,
            "warn": self.warn_points,
        }.get(kind, 0.0)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> LadderPolicy:
        """Build from stored JSON; unknown keys are refused with a clear message."""
        if not data:
            return cls()
        known = {f.name: f for f in fields(cls) if f.name != "extra"}
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(known))}")
            default = getattr(cls(), key)
            try:
                changes[key] = type(default)(value)
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be a {type(default).__name__}") from None
        policy = replace(cls(), **changes)
        policy.validate()
        return policy

    def to_mapping(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}

    def validate(self) -> None:
        if self.half_life_hours <= 0:
            raise ValueError("half_life_hours must be positive")
        if self.timeout_threshold <= 0:
            raise ValueError("timeout_threshold must be positive")
        if self.first_timeout_minutes <= 0 or self.timeout_growth < 1:
            raise ValueError("first_timeout_minutes must be > 0 and timeout_growth >= 1")
        if self.heat_messages < 2 or self.heat_window_seconds <= 0:
            raise ValueError("heat_messages must be >= 2 and heat_window_seconds > 0")
        if not 0 < self.slowmode_seconds <= 21600:
            raise ValueError("slowmode_seconds must be between 1 and 21600")
        if self.slowmode_minutes <= 0:
            raise ValueError("slowmode_minutes must be positive")
        Level.parse(self.escalate_from)


@dataclass(frozen=True, slots=True)
class PastAction:
    """What the ladder needs to know about an earlier ledger row."""

    kind: str
    points: float
    at: datetime
    pardoned: bool = False


def decayed(points: float, age: timedelta, half_life_hours: float) -> float:
    """Exponential decay: half the weight every half-life; future rows count in full."""
    hours = max(age.total_seconds(), 0.0) / 3600.0
    return points * math.pow(0.5, hours / half_life_hours)


def current_points(history: Iterable[PastAction], now: datetime, policy: LadderPolicy) -> float:
    return sum(
        decayed(p.points, now - p.at, policy.half_life_hours) for p in history if not p.pardoned
    )


def timeout_length(history: Iterable[PastAction], now: datetime, policy: LadderPolicy) -> timedelta:
    """The next timeout: the first one, times `timeout_growth` per remembered earlier timeout,
    capped at Discord's 28 days."""
    memory = timedelta(days=policy.timeout_memory_days)
    earlier = sum(
        1 for p in history if p.kind == "timeout" and not p.pardoned and now - p.at <= memory
    )
    minutes = policy.first_timeout_minutes * math.pow(policy.timeout_growth, earlier)
    # Large exponents overflow timedelta before the cap applies.
    if minutes >= MAX_TIMEOUT.total_seconds() / 60:
        return MAX_TIMEOUT
    return timedelta(minutes=minutes)


@dataclass(frozen=True, slots=True)
class LadderOutcome:
    """The level to apply, and for a timeout how long it lasts."""

    level: Level
    points_after: float
    timeout: timedelta | None = None
    escalated: bool = False


def climb(
    level: Level, history: Iterable[PastAction], now: datetime, policy: LadderPolicy
) -> LadderOutcome:
    """Decide the final level for a new action of `level` given the member's history.

    A rule that asks for a timeout gets one of the ladder's length. A hold or harsher (by default)
    that brings the member's decayed points to the threshold is escalated to a timeout too.
    """
    past = list(history)
    before = current_points(past, now, policy)
    after = before + policy.points_for(level.name.lower())
    if level == Level.TIMEOUT:
        return LadderOutcome(level, after, timeout_length(past, now, policy))
    if level >= Level.parse(policy.escalate_from) and after >= policy.timeout_threshold:
        return LadderOutcome(
            Level.TIMEOUT, after, timeout_length(past, now, policy), escalated=True
        )
    return LadderOutcome(level, after)


def format_duration(delta: timedelta) -> str:
    """'1 h', '4 h', '2 d 16 h', '28 d' — short enough for a DM or a log line."""
    minutes = round(delta.total_seconds() / 60)
    days, rem = divmod(minutes, 1440)
    hours, mins = divmod(rem, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} min" if mins else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"
