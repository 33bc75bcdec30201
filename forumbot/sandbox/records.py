"""What the sandbox records (the REST calls it answered, the rule violations it saw, the state of
each interaction) and the faults it is told to inject (one-off answers, rate-limit buckets).
Plain data: everything else in the sandbox builds on it."""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .errors import FormErrors
from .world import Json


@dataclass
class InteractionRecord:
    """Server-side state of one interaction (the handle's view of it)."""

    id: str
    token: str
    type: int
    payload: Json
    user_id: str
    channel_id: str
    guild_id: str | None
    created: float = field(default_factory=time.monotonic)
    # The first callback: {"type": int, "data": dict | None}
    response: Json | None = None
    original_message_id: str | None = None
    ephemeral: bool = False
    deferred: bool = False
    choices: list[Json] | None = None
    modal: Json | None = None
    followup_ids: list[str] = field(default_factory=list)
    edits: list[Json] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    # The message a component/modal interaction came from (types 6/7 edit it).
    source_message_id: str | None = None
    # Wall-clock time (time.time()) the initial response was accepted, and how it came:
    # "callback" (POST /interactions/{id}/{token}/callback) or "http" (the endpoint's answer).
    responded_at: float | None = None
    response_via: str | None = None
    # Delivery to the HTTP interactions endpoint: the status it answered (None while waiting,
    # or when it never answered), and whether the POST is still in flight.
    http_status: int | None = None
    http_pending: bool = False
    # Why the interaction failed ("This interaction failed" in the client); a later callback
    # then gets 404/10062.
    failure: str | None = None


@dataclass
class RecordedRequest:
    """One REST call the client made, with what the sandbox answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    reason: str | None
    headers: dict[str, str]
    time: float
    status: int = 0
    error_code: int | None = None
    files: list[Json] = field(default_factory=list)
    # The JSON answer as sent: a snapshot, so route handlers may answer with live state.
    response_body: bytes | None = field(default=None, repr=False)

    @property
    def response(self) -> Any:
        """The JSON the sandbox answered (None for 204 and simulated faults), decoded anew on
        each access, so changing it changes nothing else."""
        return None if self.response_body is None else json.loads(self.response_body)

    def __repr__(self) -> str:
        extra = f" code={self.error_code}" if self.error_code else ""
        return f"<{self.method} {self.path} -> {self.status}{extra}>"


@dataclass
class Violation:
    """A request Discord would have rejected because the client broke a rule."""

    method: str
    path: str
    status: int
    code: int
    message: str
    errors: Json | None
    body: Any

    def __str__(self) -> str:
        details = "; ".join(FormErrors(self.errors or {}).messages())
        return (
            f"{self.method} {self.path}: {self.status}/{self.code} {self.message} {details}".strip()
        )


@dataclass
class Injection:
    pattern: re.Pattern[str]
    method: str | None
    status: int
    retry_after: float
    times: int
    hits: int = 0
    is_global: bool = False


@dataclass
class RateLimit:
    """A Discord-like per-route bucket: `limit` requests per `per` seconds for each major
    parameter (the channel, guild or webhook id in the path)."""

    pattern: re.Pattern[str]
    method: str | None
    limit: int
    per: float
    name: str
    hits: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, method: str, path: str) -> tuple[bool, dict[str, str], float]:
        """(allowed, headers, retry_after) for one request, counting it when allowed."""
        if self.method is not None and self.method != method:
            return True, {}, 0.0
        found = self.pattern.search(path)
        if not found:
            return True, {}, 0.0
        major = found.group(1) if found.groups() else ""
        now = time.monotonic()
        window = self.hits.setdefault(major, deque())
        while window and now - window[0] >= self.per:
            window.popleft()
        if len(window) >= self.limit:
            retry = self.per - (now - window[0])
            return False, {}, max(retry, 0.001)
        window.append(now)
        reset_after = self.per - (now - window[0])
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - len(window)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": self.name,
        }
        return True, headers, 0.0


# Discord's commonly observed buckets (a bot must survive these without losing work).
DEFAULT_RATE_LIMITS: tuple[tuple[str, str | None, int, float], ...] = (
    (r"^/channels/(\d+)/messages$", "POST", 5, 5.0),
    (r"^/channels/(\d+)/threads$", "POST", 5, 5.0),
    (r"^/channels/(\d+)$", "PATCH", 5, 5.0),
    (r"^/channels/(\d+)/messages/\d+$", "PATCH", 5, 5.0),
    (r"^/guilds/(\d+)/members/\d+$", "PATCH", 10, 10.0),
)
