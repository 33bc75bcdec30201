"""Signed session cookies (no server-side session store) and the CSRF token derived from them.

A cookie is `base64url(json).base64url(hmac_sha256)`; its payload carries its own expiry, so a
copied cookie dies when the session would have. The CSRF token is an HMAC of the session's
random id: valid only with that session's cookie, and nothing to store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

SESSION_COOKIE = "forumbot_session"
STATE_COOKIE = "forumbot_oauth"
# A session cookie holding more guilds than this keeps the first ones (cookies stop at ~4 KB).
MAX_GUILDS_IN_SESSION = 40


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """Who is signed in: their Discord id and name, and the guilds Discord said they are in
    (a hint for the guild list only: access is decided per request from the bot's view)."""

    user_id: int
    username: str
    sid: str
    expires: float
    guilds: tuple[tuple[int, str], ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "u": str(self.user_id),
            "n": self.username,
            "s": self.sid,
            "e": self.expires,
            "g": [[str(g), name] for g, name in self.guilds],
        }


class Signer:
    """Signs and checks cookie values with one secret (shared by every process)."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"forumbot-web:" + secret.encode()).digest()

    def _mac(self, purpose: str, payload: bytes) -> bytes:
        return hmac.new(self._key, purpose.encode() + b"\0" + payload, hashlib.sha256).digest()

    def sign(self, purpose: str, data: dict[str, Any]) -> str:
        payload = json.dumps(data, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(purpose, payload))}"

    def unsign(self, purpose: str, value: str | None) -> dict[str, Any] | None:
        """The data, or None when the value is missing, altered or not JSON."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        try:
            payload = _unb64(body)
            good = hmac.compare_digest(_unb64(mac), self._mac(purpose, payload))
            data = json.loads(payload) if good else None
        except (ValueError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    # -- sessions -------------------------------------------------------------------------------
    def new_session(
        self, user_id: int, username: str, guilds: list[tuple[int, str]], *, hours: int
    ) -> Session:
        return Session(
            user_id=user_id,
            username=username[:100],
            sid=secrets.token_urlsafe(16),
            expires=time.time() + hours * 3600,
            guilds=tuple(guilds[:MAX_GUILDS_IN_SESSION]),
        )

    def session_cookie(self, session: Session) -> str:
        return self.sign("session", session.to_json())

    def read_session(self, value: str | None) -> Session | None:
        data = self.unsign("session", value)
        if data is None:
            return None
        try:
            session = Session(
                user_id=int(data["u"]),
                username=str(data["n"]),
                sid=str(data["s"]),
                expires=float(data["e"]),
                guilds=tuple((int(g), str(name)) for g, name in data.get("g", [])),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return session if session.expires > time.time() else None

    def csrf_token(self, session: Session) -> str:
        return _b64(self._mac("csrf", session.sid.encode()))

    def check_csrf(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))
