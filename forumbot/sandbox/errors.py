"""Discord's JSON error shape and the error codes the sandbox answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_APPLICATION_COMMAND = 10063
UNKNOWN_INTERACTION = 10062
TAG_REQUIRED = 40067
INTERACTION_ALREADY_ACKNOWLEDGED = 40060
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS_MESSAGE = 50005
EMPTY_MESSAGE = 50006
CANNOT_SEND_TO_USER = 50007
CANNOT_SEND_IN_NON_TEXT = 50008
MISSING_PERMISSIONS = 50013
INVALID_WEBHOOK_TOKEN = 50027
INVALID_FORM_BODY = 50035
WRONG_CHANNEL_TYPE = 50024
THREAD_ARCHIVED = 50083
INVALID_JSON = 50109
THREAD_LOCKED = 160005


@dataclass
class FormErrors:
    """Collects field errors into Discord's nested `errors` object."""

    tree: dict[str, Any] = field(default_factory=dict)

    def add(self, path: str, code: str, message: str) -> None:
        node = self.tree
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def too_long(self, path: str, limit: int) -> None:
        self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def too_short(self, path: str, limit: int) -> None:
        self.add(path, "BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length.")

    def bad_length(self, path: str, low: int, high: int) -> None:
        self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def __bool__(self) -> bool:
        return bool(self.tree)

    def raise_if_any(self) -> None:
        if self.tree:
            raise ApiError(400, INVALID_FORM_BODY, "Invalid Form Body", errors=self.tree)

    def messages(self) -> list[str]:
        """Flattened `path: message` lines, for logs and assertion messages."""
        out: list[str] = []

        def walk(node: dict[str, Any], prefix: str) -> None:
            for key, value in node.items():
                if key == "_errors":
                    out.extend(f"{prefix}: {e['message']}" for e in value)
                else:
                    walk(value, f"{prefix}.{key}" if prefix else key)

        walk(self.tree, "")
        return out


class ApiError(Exception):
    """An error answer. `violation` marks errors caused by a client breaking Discord's rules
    (limits, double acknowledgement, late response), as opposed to simulated conditions."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        errors: dict[str, Any] | None = None,
        violation: bool = True,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.violation = violation

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def not_found(code: int, what: str) -> ApiError:
    # Unknown ids are usually races or stale state, not rule breaking.
    return ApiError(404, code, f"Unknown {what}", violation=False)
