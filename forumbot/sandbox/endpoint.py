"""Delivery of interactions to the app's HTTP interactions endpoint (Discord's "Interactions
Endpoint URL"), signed with the sandbox application's Ed25519 key, instead of the gateway."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from nacl.signing import SigningKey

from .errors import UNKNOWN_INTERACTION, ApiError
from .http_post import KeepAlivePoster
from .interactions import PING
from .records import InteractionRecord, Violation

if TYPE_CHECKING:
    from .state import SandboxState

Json = dict[str, Any]

USER_AGENT = "Discord-Interactions/1.0 (+https://discord.com)"
LANES = 32


class InteractionsEndpoint:
    """The app's interactions endpoint URL, the signing key, and the POSTs to the endpoint.
    `accept` applies the app's answer to an interaction (the REST API's checks and effects)."""

    def __init__(
        self, sandbox: SandboxState, *, accept: Callable[[InteractionRecord, Json], object]
    ) -> None:
        self.sb = sandbox
        self._accept = accept
        self.signing_key = SigningKey.generate()
        self.verify_key = self.signing_key.verify_key.encode().hex()
        self.url: str | None = None
        self._poster = KeepAlivePoster()
        self._tasks: set[asyncio.Task[None]] = set()
        self._lanes = asyncio.Semaphore(LANES)

    @property
    def pending(self) -> int:
        """Deliveries still waiting for the endpoint's answer."""
        return len(self._tasks)

    # ---- signing and posting ----------------------------------------------------------------
    def sign(self, timestamp: str, body: bytes, key: SigningKey | None = None) -> str:
        """Hex Ed25519 signature of timestamp + body, as in X-Signature-Ed25519."""
        return (key or self.signing_key).sign(timestamp.encode() + body).signature.hex()

    async def _post(
        self,
        url: str,
        body: bytes,
        timeout: float,  # noqa: ASYNC109
        *,
        key: SigningKey | None = None,
        signed_timestamp: str | None = None,
    ) -> tuple[int, bytes]:
        """POST a signed body; (status, response body). `key` and `signed_timestamp` forge a
        wrong signature, for validation."""
        timestamp = str(int(time.time()))
        signature = self.sign(signed_timestamp or timestamp, body, key)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Signature-Ed25519": signature,
            "X-Signature-Timestamp": timestamp,
        }
        async with asyncio.timeout(timeout):
            return await self._poster.post(url, body, headers)

    # ---- the setting ------------------------------------------------------------------------
    async def set_url(self, url: str | None) -> None:
        if url is None:
            self.url = None
            return
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"interactions endpoint validation failed: {url!r} is not an URL")
        problem = await self._validate(url)
        if problem is not None:
            raise ValueError(f"interactions endpoint validation failed: {url}: {problem}")
        self.url = url

    async def _validate(self, url: str) -> str | None:
        """Like Discord: a signed PING must get 200 {"type": 1}, and PINGs whose signature is
        wrong (another key; a different timestamp) must get 401. The problem, or None."""
        ping = {
            "id": self.sb.world.ids.next(),
            "application_id": self.sb.application_id,
            "type": PING,
            "token": secrets.token_urlsafe(32),
            "version": 1,
        }
        body = json.dumps(ping, separators=(",", ":")).encode()
        timeout = self.sb.interaction_deadline
        try:
            status, raw = await self._post(url, body, timeout)
            if status != 200:
                return f"a signed PING got HTTP {status}, not 200"
            try:
                answer = json.loads(raw)
            except ValueError:
                return f"a signed PING was answered with invalid JSON {raw[:200]!r}"
            if not isinstance(answer, dict) or answer.get("type") != 1:
                return f'a signed PING was answered with {answer!r}, not {{"type": 1}}'
            forged: tuple[tuple[str, SigningKey | None, str | None], ...] = (
                ("signed with another key", SigningKey.generate(), None),
                ("signed for another timestamp", None, "1"),
            )
            for what, key, signed_timestamp in forged:
                status, _ = await self._post(
                    url, body, timeout, key=key, signed_timestamp=signed_timestamp
                )
                if status != 401:
                    return f"a PING {what} got HTTP {status}, not 401"
        except TimeoutError:
            return f"no answer within {timeout}s"
        except OSError as exc:
            return f"the request failed: {exc}"
        return None

    # ---- delivering interactions ------------------------------------------------------------
    def deliver(self, record: InteractionRecord) -> None:
        """POST the interaction in a background task (the harness call returns at once)."""
        assert self.url is not None
        body = json.dumps(record.payload, separators=(",", ":")).encode()
        record.http_pending = True
        task = asyncio.get_running_loop().create_task(self._deliver(self.url, record, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, record: InteractionRecord, body: bytes) -> None:
        deadline = self.sb.interaction_deadline
        try:
            try:
                # Deliveries go out in order, LANES at a time: 200 POSTs started at once would
                # advance together and all reach the app late.
                async with self._lanes:
                    remaining = deadline - (time.monotonic() - record.created)
                    status, raw = await self._post(url, body, max(remaining, 0.0))
            except TimeoutError:
                self._fail(record, url, 0, f"the endpoint gave no answer within {deadline}s", None)
                return
            except OSError as exc:
                self._fail(record, url, 0, f"the POST to the endpoint failed: {exc}", None)
                return
            record.http_status = status
            self._answered(record, url, status, raw)
        finally:
            record.http_pending = False
            self.sb._pulse()

    def _answered(self, record: InteractionRecord, url: str, status: int, raw: bytes) -> None:
        if status in (202, 204):
            return  # the app answers with the callback route
        if status != 200:
            self._fail(record, url, status, f"the endpoint answered HTTP {status}", _text(raw))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            message = f"the endpoint answered 200 without a JSON object: {raw[:200]!r}"
            self._fail(record, url, status, message, _text(raw))
            return
        try:
            self._accept(record, body)
        except ApiError as exc:
            if exc.violation:
                self.sb.violations.append(
                    Violation("POST", url, exc.status, exc.code, exc.message, exc.errors, body)
                )
            if record.response is None:
                record.failure = f"the endpoint's answer was refused: {exc}"

    def _fail(
        self, record: InteractionRecord, url: str, status: int, message: str, body: Any
    ) -> None:
        """The interaction failed: a violation, and later callbacks get 404/10062 (unless the
        app had already answered it with the callback route)."""
        self.sb.violations.append(
            Violation("POST", url, status, UNKNOWN_INTERACTION, message, None, body)
        )
        if record.response is None:
            record.failure = message

    # ---- shutdown ---------------------------------------------------------------------------
    async def close(self) -> None:
        """Cancel deliveries in flight and close the connection pool."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._poster.close()


def _text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:2000].decode("utf-8", "replace")
