"""Interaction and callback types, and handles to await the bot's answers to interactions the
harness created (their state is a records.InteractionRecord)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import InteractionRecord
    from .state import SandboxState

Json = dict[str, Any]

PING, APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5

# Callback types
CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL},
    COMPONENT: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}

LOADING = 128
EPHEMERAL = 64


class InteractionHandle:
    """Await the bot's answer to an interaction the harness created.

    All waits are event based (no polling sleeps) and raise `TimeoutError` with context.
    """

    def __init__(self, sandbox: SandboxState, record: InteractionRecord) -> None:
        self._sb = sandbox
        self.record = record

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def payload(self) -> Json:
        """The INTERACTION_CREATE data the bot received."""
        return self.record.payload

    @property
    def responded(self) -> bool:
        return self.record.response is not None

    @property
    def ephemeral(self) -> bool:
        return self.record.ephemeral

    @property
    def response_type(self) -> int | None:
        return None if self.record.response is None else int(self.record.response["type"])

    @property
    def original(self) -> Json | None:
        """The current original response message (or the component's message for 6/7)."""
        mid = self.record.original_message_id
        return None if mid is None else self._sb.world.messages.get(mid)

    @property
    def followups(self) -> list[Json]:
        msgs = self._sb.world.messages
        return [msgs[m] for m in self.record.followup_ids if m in msgs]

    async def wait_for(
        self,
        predicate: Callable[[InteractionHandle], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Any:
        return await self._sb.wait_until(
            lambda: predicate(self), timeout, what=f"interaction {self.id} condition"
        )

    async def response(self, timeout: float = 5.0) -> Json:  # noqa: ASYNC109
        """The first callback body: {"type": ..., "data": ...}."""
        await self._sb.wait_until(
            lambda: self.record.response is not None,
            timeout,
            what=f"a response to interaction {self.id}",
        )
        assert self.record.response is not None
        return self.record.response

    async def message(self, timeout: float = 5.0) -> Json:  # noqa: ASYNC109
        """The visible answer: the original response once it is not a loading placeholder."""

        def ready() -> Json | None:
            msg = self.original
            if msg is None or msg["flags"] & LOADING:
                return None
            if self.response_type == DEFERRED_UPDATE and not self.record.edits:
                return None
            return msg

        result: Json = await self._sb.wait_until(
            ready, timeout, what=f"the answer message of interaction {self.id}"
        )
        return result

    async def followup(self, index: int = 0, timeout: float = 5.0) -> Json:  # noqa: ASYNC109
        def ready() -> Json | None:
            items = self.followups
            return items[index] if len(items) > index else None

        result: Json = await self._sb.wait_until(
            ready, timeout, what=f"follow-up #{index} of interaction {self.id}"
        )
        return result

    async def choices(self, timeout: float = 5.0) -> list[Json]:  # noqa: ASYNC109
        """Autocomplete choices the bot answered with."""
        await self._sb.wait_until(
            lambda: self.record.choices is not None,
            timeout,
            what=f"autocomplete choices for interaction {self.id}",
        )
        assert self.record.choices is not None
        return self.record.choices

    async def modal(self, timeout: float = 5.0) -> Json:  # noqa: ASYNC109
        """The modal (callback type 9) data the bot opened."""
        await self._sb.wait_until(
            lambda: self.record.modal is not None, timeout, what=f"a modal for {self.id}"
        )
        assert self.record.modal is not None
        return self.record.modal

    async def text(self, timeout: float = 5.0) -> str:  # noqa: ASYNC109
        """Content plus embed titles/descriptions of the answer, for simple assertions."""
        return message_text(await self.message(timeout))

    def __repr__(self) -> str:
        kind, answer = self.record.type, self.response_type
        return f"<InteractionHandle id={self.id} type={kind} response={answer}>"


def message_text(message: Json) -> str:
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        for fld in embed.get("fields") or []:
            parts += [fld.get("name") or "", fld.get("value") or ""]
        parts.append((embed.get("footer") or {}).get("text") or "")
    parts += _component_texts(message.get("components") or [])
    return "\n".join(p for p in parts if p)


def _component_texts(components: list[Json]) -> list[str]:
    out: list[str] = []
    for comp in components:
        if comp.get("type") == 10:
            out.append(comp.get("content") or "")
        out += _component_texts(comp.get("components") or [])
    return out
