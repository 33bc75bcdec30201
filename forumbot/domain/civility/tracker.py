"""Per-member-per-thread message history for the `rate` and `repeat` rules.

Bounded twice over: at most `max_keys` (member, thread) pairs are kept, least recently used
evicted first, and each pair keeps at most `max_events` recent messages no older than
`max_window` seconds. A pair nobody wrote in for longer than `max_window` is dropped as soon as
a newer message arrives (the pairs are in order of their last message, so the stale ones are at
the front), so a long-running bot holds the members active within the window, not the last
`max_keys` ever seen. Memory therefore stays flat however busy the guild is.
"""

from __future__ import annotations

from collections import OrderedDict, deque


class RateTracker:
    def __init__(
        self, *, max_keys: int = 20_000, max_events: int = 64, max_window: float = 3600.0
    ) -> None:
        self.max_keys = max_keys
        self.max_events = max_events
        self.max_window = max_window
        self._events: OrderedDict[tuple[str, str], deque[tuple[float, int]]] = OrderedDict()

    def observe(
        self, key: tuple[str, str], timestamp: float, digest: int
    ) -> deque[tuple[float, int]]:
        """Record one message and return the (pruned) recent history of this key, oldest first."""
        events = self._events.get(key)
        if events is None:
            events = deque(maxlen=self.max_events)
            self._events[key] = events
            if len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(key)
        horizon = timestamp - self.max_window
        while events and events[0][0] < horizon:
            events.popleft()
        events.append((timestamp, digest))
        # forget the pairs whose last message is older than the window (oldest first; inline,
        # since it runs for every message)
        pairs = self._events
        while pairs:
            oldest = next(iter(pairs.values()))
            if oldest and oldest[-1][0] >= horizon:
                break
            pairs.popitem(last=False)
        return events

    def clear(self) -> None:
        self._events.clear()

    def __len__(self) -> int:
        return len(self._events)
