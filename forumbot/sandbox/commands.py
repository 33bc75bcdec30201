"""Building interaction data the way Discord does, from the synced command definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .jsoncopy import json_copy
from .world import Json

if TYPE_CHECKING:
    from .state import SandboxState

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2


def _ref_id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["id"])
    return str(value)


def build_command_data(
    sb: SandboxState,
    cmd: Json,
    path: list[str],
    values: dict[str, Any],
    guild_id: str | None,
    *,
    focused: str | None,
) -> Json:
    """The `data` of a chat-input (or autocomplete) interaction for `cmd` with `values`."""
    definitions: list[Json] = cmd.get("options") or []
    chain: list[Json] = []
    for part in path:
        match = next(
            (
                o
                for o in definitions
                if o["name"] == part and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ),
            None,
        )
        if match is None:
            raise LookupError(f"command {cmd['name']!r} has no subcommand {part!r}")
        chain.append(match)
        definitions = match.get("options") or []
    if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in definitions):
        raise ValueError(f"command {cmd['name']!r} needs a subcommand path")
    by_name = {o["name"]: o for o in definitions}
    unknown = set(values) - set(by_name)
    if unknown:
        raise KeyError(f"unknown options {sorted(unknown)} for {cmd['name']!r}")
    if focused is None:
        missing = [o["name"] for o in definitions if o.get("required") and o["name"] not in values]
        if missing:
            raise ValueError(f"missing required options {missing} for {cmd['name']!r}")
    resolved: dict[str, dict[str, Json]] = {}
    leaf: list[Json] = []
    for name, value in values.items():
        definition = by_name[name]
        kind = definition["type"]
        option: Json = {"name": name, "type": kind}
        if focused is not None:
            # Autocomplete sends what the user typed so far, as typed.
            option["value"] = value if isinstance(value, (str, int, float, bool)) else str(value)
            if name == focused:
                option["focused"] = True
        else:
            option["value"] = _convert(sb, definition, value, guild_id, resolved)
        leaf.append(option)
    if focused is not None and focused not in values:
        raise KeyError(f"focused option {focused!r} needs a value in options")
    options = leaf
    for sub in reversed(chain):
        options = [{"name": sub["name"], "type": sub["type"], "options": options}]
    data: Json = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": options}
    if cmd.get("guild_id"):
        data["guild_id"] = cmd["guild_id"]
    if resolved:
        data["resolved"] = resolved
    return data


def _convert(
    sb: SandboxState, definition: Json, value: Any, guild_id: str | None, resolved: Json
) -> Any:
    kind = definition["type"]
    world = sb.world
    if kind == STRING:
        value = str(value)
        low, high = definition.get("min_length"), definition.get("max_length")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise ValueError(f"option {definition['name']!r}: length outside {low}..{high}")
    elif kind == INTEGER:
        value = int(value)
    elif kind == NUMBER:
        value = float(value)
    elif kind == BOOLEAN:
        value = bool(value)
    if kind in (INTEGER, NUMBER):
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"option {definition['name']!r}: {value} outside {low}..{high}")
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"option {definition['name']!r}: {value!r} is not one of the choices")
    guild = world.guilds.get(guild_id) if guild_id else None
    if kind in (USER, MENTIONABLE) and (kind == USER or _ref_id(value) in world.users):
        uid = _ref_id(value)
        resolved.setdefault("users", {})[uid] = json_copy(world.user(uid))
        if guild is not None and uid in guild.members:
            member = world.member_payload(guild, uid, with_user=False)
            member["permissions"] = str(world.permissions(guild, uid))
            resolved.setdefault("members", {})[uid] = member
        return uid
    if kind in (ROLE, MENTIONABLE):
        rid = _ref_id(value)
        if guild is None or rid not in guild.roles:
            raise LookupError(f"unknown role {rid}")
        resolved.setdefault("roles", {})[rid] = json_copy(guild.roles[rid])
        return rid
    if kind == CHANNEL:
        cid = _ref_id(value)
        channel = json_copy(world.channel(cid))
        types = definition.get("channel_types")
        if types and channel["type"] not in types:
            raise ValueError(
                f"option {definition['name']!r}: channel type {channel['type']} not allowed"
            )
        channel["permissions"] = str(world.permissions(guild, sb.bot_id) if guild else 0)
        resolved.setdefault("channels", {})[cid] = channel
        return cid
    if kind == ATTACHMENT:
        if isinstance(value, dict):
            payload = value
        else:
            payload = sb.store_attachment(
                value.filename, value.data, content_type=getattr(value, "content_type", None)
            )
        resolved.setdefault("attachments", {})[payload["id"]] = json_copy(payload)
        return payload["id"]
    return value


def find_component(components: list[Json], custom_id: str) -> Json | None:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        if comp.get("custom_id") == custom_id:
            return comp
        for key in ("components",):
            found = find_component(comp.get(key) or [], custom_id)
            if found is not None:
                return found
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                found = find_component([comp[key]], custom_id)
                if found is not None:
                    return found
    return None


def modal_submission(modal: Json, values: dict[str, str]) -> list[Json]:
    """Mirror the modal's layout with the submitted values, as Discord sends it back."""
    used: set[str] = set()

    def item(comp: Json) -> Json:
        cid = comp.get("custom_id")
        out: Json = {"type": comp["type"], "id": comp.get("id", 0)}
        if cid is not None:
            out["custom_id"] = cid
            used.add(cid)
            if comp["type"] == 4:
                value = values.get(cid, comp.get("value") or "")
                if comp.get("required", True) and not value:
                    raise ValueError(f"text input {cid!r} is required")
                high = comp.get("max_length")
                if high is not None and len(value) > high:
                    raise ValueError(f"text input {cid!r} is longer than {high}")
                out["value"] = value
            else:
                out["values"] = list(values.get(cid, []))
        return out

    components: list[Json] = []
    for comp in modal.get("components") or []:
        if comp.get("type") == 1:
            components.append(
                {
                    "type": 1,
                    "id": comp.get("id", 0),
                    "components": [item(c) for c in comp.get("components") or []],
                }
            )
        elif comp.get("type") == 18 and isinstance(comp.get("component"), dict):
            components.append(
                {"type": 18, "id": comp.get("id", 0), "component": item(comp["component"])}
            )
        elif comp.get("type") == 10:
            components.append({"type": 10, "id": comp.get("id", 0)})
    unknown = set(values) - used
    if unknown:
        raise KeyError(f"modal has no inputs {sorted(unknown)}")
    return components
