"""REST routes: interaction callbacks, the original response and follow-up webhooks."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

from forumbot.sandbox import limits
from forumbot.sandbox.errors import (
    INTERACTION_ALREADY_ACKNOWLEDGED,
    INVALID_JSON,
    INVALID_WEBHOOK_TOKEN,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    ApiError,
    FormErrors,
    not_found,
)
from forumbot.sandbox.interactions import (
    ALLOWED_CALLBACKS,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    LOADING,
    MODAL,
    UPDATE_MESSAGE,
)
from forumbot.sandbox.jsoncopy import json_copy
from forumbot.sandbox.records import InteractionRecord
from forumbot.sandbox.world import Json

from .base import Req, RouteBase


@dataclass(frozen=True)
class InitialResponse:
    """What accepting an interaction's first response did (for `with_response`)."""

    kind: int
    message: Json | None  # the response message, or the updated one for type 7
    ephemeral: bool
    loading: bool


class InteractionRoutes(RouteBase):
    def _interaction_by_token(self, token: str) -> InteractionRecord:
        record = self.sb.interactions_by_token.get(token)
        if record is None:
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook", violation=True)
        if time.monotonic() - record.created > self.sb.followup_ttl:
            raise ApiError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token", violation=True)
        return record

    def _response_message(
        self, record: InteractionRecord, body: Json, *, ephemeral: bool, kind: int, extra: Json
    ) -> Json:
        channel = self.world.channel(record.channel_id)
        flags = int(body.get("flags") or 0)
        if ephemeral:
            flags |= EPHEMERAL
        body = {**body, "flags": flags}
        metadata = {
            "id": record.id,
            "type": record.type,
            "user": self.world.user(record.user_id),  # create_message copies `extra`
            "authorizing_integration_owners": {"0": record.guild_id} if record.guild_id else {},
        }
        message = self.world.create_message(
            channel,
            self.bot_id,
            body,
            kind=kind,
            ephemeral=ephemeral,
            extra={
                "webhook_id": self.sb.application_id,
                "application_id": self.sb.application_id,
                "interaction_metadata": metadata,
                **extra,
            },
        )
        if not ephemeral:
            self._dispatch_message("MESSAGE_CREATE", message)
        return message

    async def interaction_callback(self, req: Req) -> tuple[int, Any]:
        iid, token = req.params
        record = self.sb.interactions.get(iid)
        if record is None or record.token != token:
            raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        applied = self.apply_initial_response(record, req.json(), files=req.files, via="callback")
        if "with_response" not in req.query:
            return 204, None
        interaction: Json = {
            "id": record.id,
            "type": record.type,
            "response_message_loading": applied.loading,
            "response_message_ephemeral": applied.ephemeral,
        }
        resource: Json = {"type": applied.kind}
        if applied.message is not None:
            interaction["response_message_id"] = applied.message["id"]
            resource["message"] = applied.message  # serialized at once
        return 200, {"interaction": interaction, "resource": resource}

    def apply_initial_response(
        self,
        record: InteractionRecord,
        body: Any,
        *,
        files: list[Json] | None = None,
        via: str,
    ) -> InitialResponse:
        """Accept the first response to an interaction, from the callback route (`via`
        "callback") or from the HTTP interactions endpoint's answer ("http"): the same checks,
        limits and effects either way. Raises ApiError as the callback route answers it."""
        if not isinstance(body, dict):
            raise ApiError(400, INVALID_JSON, "The request body contains invalid JSON.")
        if record.response is not None:
            raise ApiError(
                400, INTERACTION_ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        if record.failure is not None:
            raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        if time.monotonic() - record.created > self.sb.interaction_deadline:
            raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
        files = files or []
        kind = body.get("type")
        data = body.get("data") or {}
        if kind not in ALLOWED_CALLBACKS.get(record.type, set()):
            errs = FormErrors()
            errs.add(
                "type", "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type"
            )
            errs.raise_if_any()
        assert isinstance(kind, int)
        if not isinstance(data, dict):
            raise ApiError(400, INVALID_JSON, "The request body contains invalid JSON.")
        message: Json | None = None
        ephemeral = False
        loading = False
        if kind == CHANNEL_MESSAGE:
            data = self._message_fields(data, files, allow_ephemeral=True)
            ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
            msg_kind = 20 if record.type == 2 and record.payload["data"].get("type", 1) == 1 else 0
            message = self._response_message(
                record, data, ephemeral=ephemeral, kind=msg_kind, extra={}
            )
            record.original_message_id = message["id"]
        elif kind == DEFERRED_MESSAGE:
            ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
            loading = True
            message = self._response_message(
                record, {"content": "", "flags": LOADING}, ephemeral=ephemeral, kind=20, extra={}
            )
            record.original_message_id = message["id"]
            record.deferred = True
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            if record.source_message_id is None:
                errs = FormErrors()
                errs.add("type", "INTERACTION_RESPONSE_TYPE_INVALID", "No message to update")
                errs.raise_if_any()
            assert record.source_message_id is not None
            source = self.world.find_message(record.source_message_id)
            record.original_message_id = source["id"]
            ephemeral = bool(source["flags"] & EPHEMERAL)
            if kind == UPDATE_MESSAGE:
                data = self._message_fields(data, files, editing=True, allow_ephemeral=True)
                self._apply_edit(source, data)
                record.edits.append(json_copy(data))
                if not ephemeral:
                    self._dispatch_message("MESSAGE_UPDATE", source)
                message = source
        elif kind == AUTOCOMPLETE_RESULT:
            errs = FormErrors()
            limits.check_choices(errs, data.get("choices"))
            errs.raise_if_any()
            record.choices = json_copy(data.get("choices") or [])
        elif kind == MODAL:
            errs = FormErrors()
            limits.check_modal(errs, data)
            errs.raise_if_any()
            record.modal = json_copy(data)
        record.response = {"type": kind, "data": json_copy(data)}
        record.ephemeral = ephemeral
        record.responded_at = time.time()
        record.response_via = via
        return InitialResponse(kind, message, ephemeral, loading)

    async def _settled(self, record: InteractionRecord) -> InteractionRecord:
        """While the HTTP endpoint's answer to the interaction is still on its way, wait for it:
        the bot may send a follow-up right after answering in the HTTP body, and that request
        can reach the sandbox before the answer is read."""
        if record.response is None and record.http_pending:
            with contextlib.suppress(TimeoutError):
                await self.sb.wait_until(
                    lambda: record.response is not None or not record.http_pending,
                    self.sb.interaction_deadline + 1.0,
                    what=f"the HTTP answer to interaction {record.id}",
                )
        return record

    def _webhook_target(self, record: InteractionRecord, mid: str) -> Json:
        if mid == "@original":
            if record.original_message_id is None:
                raise not_found(UNKNOWN_MESSAGE, "Message")
            return self.world.find_message(record.original_message_id)
        if mid != record.original_message_id and mid not in record.followup_ids:
            raise not_found(UNKNOWN_MESSAGE, "Message")
        return self.world.find_message(mid)

    def _check_app(self, req: Req) -> None:
        if req.params[0] != self.sb.application_id:
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")

    async def create_followup(self, req: Req) -> tuple[int, Any]:
        self._check_app(req)
        record = await self._settled(self._interaction_by_token(req.params[1]))
        if record.response is None:
            raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        body = self._message_body(req, allow_ephemeral=True)
        original = (
            self.world.messages.get(record.original_message_id)
            if record.original_message_id
            else None
        )
        if record.deferred and original is not None and original["flags"] & LOADING:
            # Documented: the first follow-up after a deferral edits the loading message, keeping
            # the deferral's ephemerality.
            self._edit_response(record, original, body)
            message = original
        else:
            ephemeral = bool(int(body.get("flags") or 0) & EPHEMERAL)
            message = self._response_message(record, body, ephemeral=ephemeral, kind=0, extra={})
            record.followup_ids.append(message["id"])
        if req.query.get("wait") in ("1", "true", "True"):
            return 200, message
        return 204, None

    def _edit_response(self, record: InteractionRecord, message: Json, body: Json) -> None:
        self._apply_edit(message, body)
        message["flags"] &= ~LOADING
        record.edits.append(json_copy(body))
        if not message["flags"] & EPHEMERAL:
            self._dispatch_message("MESSAGE_UPDATE", message)

    async def get_webhook_message(self, req: Req) -> tuple[int, Any]:
        self._check_app(req)
        record = await self._settled(self._interaction_by_token(req.params[1]))
        return 200, self._webhook_target(record, req.params[2])

    async def edit_webhook_message(self, req: Req) -> tuple[int, Any]:
        self._check_app(req)
        record = await self._settled(self._interaction_by_token(req.params[1]))
        message = self._webhook_target(record, req.params[2])
        body = self._message_body(req, editing=True, allow_ephemeral=True)
        self._edit_response(record, message, body)
        return 200, message

    async def delete_webhook_message(self, req: Req) -> tuple[int, Any]:
        self._check_app(req)
        record = await self._settled(self._interaction_by_token(req.params[1]))
        message = self._webhook_target(record, req.params[2])
        self._delete(message)
        record.deleted_ids.append(message["id"])
        return 204, None
