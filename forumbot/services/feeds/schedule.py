"""Intervals as people write them, and how long a failing feed waits before the next try."""

from __future__ import annotations

import re

from forumbot.services.feeds.types import FeedInputError

DEFAULT_INTERVAL = 30 * 60
MIN_INTERVAL = 5 * 60
MAX_INTERVAL = 7 * 24 * 3600
MAX_BACKOFF = 24 * 3600
PAUSE_AFTER_FAILURES = 5

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"^\s*(\d{1,6})\s*(s|m|min|h|d)?\s*$", re.IGNORECASE)


def parse_interval(text: str | int | None, *, minimum: int = MIN_INTERVAL) -> int:
    """'30m', '2h', '1d', '900' (seconds) -> seconds, within MIN..MAX_INTERVAL."""
    if text is None or text == "":
        return DEFAULT_INTERVAL
    found = _INTERVAL.match(str(text))
    if not found:
        raise FeedInputError(f"{str(text)[:30]!r} is not an interval: write e.g. 30m, 2h or 1d.")
    seconds = int(found.group(1)) * _UNITS[(found.group(2) or "s").lower()]
    if not minimum <= seconds <= MAX_INTERVAL:
        raise FeedInputError(
            f"The interval must be between {describe(minimum)} and {describe(MAX_INTERVAL)}."
        )
    return seconds


def describe(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def backoff(interval: int, failures: int, retry_after: float | None) -> float:
    """Seconds until the next try after the `failures`-th failure in a row: the interval
    doubled per failure (at most a day), and never sooner than the server's Retry-After."""
    delay = min(interval * 2 ** max(0, failures - 1), MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, min(retry_after, 7 * MAX_BACKOFF))
    return float(max(delay, interval))
