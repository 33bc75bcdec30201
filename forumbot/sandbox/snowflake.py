"""Time-based Discord snowflakes, as strings, so `created_at` and timeouts behave."""

from __future__ import annotations

import datetime as dt
import time

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeFactory:
    """Unique, increasing snowflakes: millisecond timestamp << 22 | worker << 17 | increment."""

    def __init__(self, worker: int = 1) -> None:
        self._worker = worker & 0x1F
        self._last_ms = 0
        self._increment = 0

    def next(self) -> str:
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if now_ms <= self._last_ms:
            self._increment += 1
            if self._increment > 0xFFF:
                # More than 4096 ids in one millisecond: borrow the next millisecond.
                self._last_ms += 1
                self._increment = 0
            now_ms = self._last_ms
        else:
            self._increment = 0
        self._last_ms = now_ms
        return str((now_ms << 22) | (self._worker << 17) | self._increment)


def snowflake_time(snowflake: str | int) -> dt.datetime:
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso(moment: dt.datetime | None = None) -> str:
    """Discord's ISO-8601 timestamp format (UTC, microseconds, +00:00)."""
    moment = moment or dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
