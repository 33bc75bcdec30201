"""Sessions kept in the database (table web_sessions), named by a signed cookie, and the CSRF
token derived from them.

A cookie is `base64url(json).base64url(hmac_sha256)` holding the session's random id and its
expiry; the row is the session. Any process serving the dashboard reads the same row (one
primary-key read per request), and signing out deletes it: a copied cookie stops working
everywhere at once, as it does at expiry. The CSRF token is an HMAC of the session's random
id: valid only with that session's cookie, and nothing more to store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forumbot.storage.models.web import WebSession

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
        return self.sign("session", {"s": session.sid, "e": session.expires})

    def cookie_sid(self, value: str | None) -> str | None:
        """The session id a cookie names, when it is ours, unaltered and not past its expiry."""
        data = self.unsign("session", value)
        if data is None:
            return None
        try:
            sid, expires = str(data["s"]), float(data["e"])
        except (KeyError, TypeError, ValueError):
            return None
        return sid if expires > time.time() else None

    def csrf_token(self, session: Session) -> str:
        return _b64(self._mac("csrf", session.sid.encode()))

    def check_csrf(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SessionStore:
    """Sessions in the database, so every process sees the same ones."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], signer: Signer) -> None:
        self._sessionmaker = sessionmaker
        self._signer = signer

    async def create(
        self, user_id: int, username: str, guilds: list[tuple[int, str]], *, hours: int
    ) -> tuple[Session, str]:
        """A new session, stored; returns it and its cookie value."""
        session = self._signer.new_session(user_id, username, guilds, hours=hours)
        now = datetime.now(UTC)
        async with self._sessionmaker() as db, db.begin():
            # Sign-ins are rare and rate-limited: a good moment to drop expired sessions.
            await db.execute(delete(WebSession).where(WebSession.expires_at < now))
            db.add(
                WebSession(
                    sid_hash=_sid_hash(session.sid),
                    user_id=user_id,
                    username=session.username,
                    guilds=[[str(g), name] for g, name in session.guilds],
                    created_at=now,
                    expires_at=datetime.fromtimestamp(session.expires, UTC),
                )
            )
        return session, self._signer.session_cookie(session)

    async def load(self, cookie: str | None) -> Session | None:
        """The session a request's cookie names, or None: no cookie, a forged or expired one,
        or a session signed out (in any process)."""
        sid = self._signer.cookie_sid(cookie)
        if sid is None:
            return None
        async with self._sessionmaker() as db:
            row = await db.get(WebSession, _sid_hash(sid))
        if row is None:
            return None
        expires = _utc(row.expires_at)
        if expires <= datetime.now(UTC):
            return None
        try:
            guilds = tuple((int(g), str(name)) for g, name in row.guilds)
        except (TypeError, ValueError):
            guilds = ()
        return Session(
            user_id=row.user_id,
            username=row.username,
            sid=sid,
            expires=expires.timestamp(),
            guilds=guilds,
        )

    async def revoke(self, session: Session) -> None:
        """Sign out: the row goes, and with it the session in every process."""
        async with self._sessionmaker() as db, db.begin():
            await db.execute(
                delete(WebSession).where(WebSession.sid_hash == _sid_hash(session.sid))
            )
