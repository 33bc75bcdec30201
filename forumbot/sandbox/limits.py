"""Discord's documented limits, checked on every payload the client sends.

Each validator adds to a `FormErrors`; the caller raises one 400/50035 answer for all of them.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import FormErrors

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_THREAD_NAME = 100
MAX_APPLIED_TAGS = 5
MAX_FORUM_TAGS = 20
MAX_TAG_NAME = 20
MAX_CHOICES = 25
MAX_CHOICE_NAME = 100
MAX_ACTION_ROWS = 5
MAX_ROW_ITEMS = 5
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_SELECT_OPTIONS = 25
MAX_NONCE = 25
MAX_REASON = 512
MAX_TIMEOUT_DAYS = 28
MAX_COMMANDS = 100
MAX_CONTEXT_COMMANDS = 15
MAX_OPTIONS = 25
MAX_MODAL_TITLE = 45
MAX_TEXT_INPUT_VALUE = 4000
ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
MAX_SLOWMODE = 21600
ALLOWED_MESSAGE_FLAGS = 4 | 64 | 4096 | 32768  # suppress embeds, ephemeral, silent, components v2
COMPONENTS_V2 = 32768

_CHAT_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def check_length(
    errs: FormErrors, path: str, value: Any, high: int, *, low: int = 0, required: bool = False
) -> None:
    if value is None:
        if required:
            errs.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        return
    n = len(_text(value))
    if n > high or n < low:
        if low:
            errs.bad_length(path, low, high)
        else:
            errs.too_long(path, high)


def check_embeds(errs: FormErrors, embeds: Any, path: str = "embeds") -> None:
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errs.add(path, "LIST_TYPE_CONVERT", "Must be an array.")
        return
    if len(embeds) > MAX_EMBEDS:
        errs.too_long(path, MAX_EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        p = f"{path}.{i}"
        if not isinstance(embed, dict):
            errs.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        for key, limit in (("title", 256), ("description", 4096)):
            check_length(errs, f"{p}.{key}", embed.get(key), limit)
            total += len(_text(embed.get(key)))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errs.too_long(f"{p}.fields", 25)
        for j, fld in enumerate(fields):
            check_length(errs, f"{p}.fields.{j}.name", fld.get("name"), 256, low=1, required=True)
            check_length(
                errs, f"{p}.fields.{j}.value", fld.get("value"), 1024, low=1, required=True
            )
            total += len(_text(fld.get("name"))) + len(_text(fld.get("value")))
        footer = embed.get("footer") or {}
        check_length(errs, f"{p}.footer.text", footer.get("text"), 2048)
        total += len(_text(footer.get("text")))
        author = embed.get("author") or {}
        check_length(errs, f"{p}.author.name", author.get("name"), 256)
        total += len(_text(author.get("name")))
    if total > MAX_EMBED_TOTAL:
        errs.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _check_custom_id(errs: FormErrors, path: str, component: dict[str, Any]) -> None:
    check_length(errs, f"{path}.custom_id", component.get("custom_id"), MAX_CUSTOM_ID, low=1)


def check_components(
    errs: FormErrors, components: Any, flags: int, path: str = "components"
) -> None:
    if components is None:
        return
    if not isinstance(components, list):
        errs.add(path, "LIST_TYPE_CONVERT", "Must be an array.")
        return
    if flags & COMPONENTS_V2:
        # Layout components: only the total count and custom ids are checked here.
        if _count_components(components) > 40:
            errs.too_long(path, 40)
        for i, comp in enumerate(components):
            _walk_custom_ids(errs, f"{path}.{i}", comp)
        return
    if len(components) > MAX_ACTION_ROWS:
        errs.too_long(path, MAX_ACTION_ROWS)
    for i, row in enumerate(components):
        p = f"{path}.{i}"
        if not isinstance(row, dict) or row.get("type") != 1:
            errs.add(p, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Top-level components must be rows")
            continue
        children = row.get("components") or []
        if not children:
            errs.too_short(f"{p}.components", 1)
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if len(children) > MAX_ROW_ITEMS or (selects and len(children) > 1):
            errs.add(
                f"{p}.components",
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, child in enumerate(children):
            _check_item(errs, f"{p}.components.{j}", child)


def _all_components(components: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    _collect_components(components, out)
    return out


def _collect_components(components: list[Any], out: list[dict[str, Any]]) -> None:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        out.append(comp)
        children = comp.get("components")
        if children:
            _collect_components(children, out)
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                _collect_components([comp[key]], out)


def _count_components(components: list[Any]) -> int:
    n = 0
    for comp in components:
        if not isinstance(comp, dict):
            continue
        n += 1
        n += _count_components(comp.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                n += _count_components([comp[key]])
    return n


def _walk_custom_ids(errs: FormErrors, path: str, comp: Any) -> None:
    if not isinstance(comp, dict):
        return
    if comp.get("type") in (2, 3, 4, 5, 6, 7, 8) and comp.get("custom_id") is not None:
        _check_custom_id(errs, path, comp)
    for j, child in enumerate(comp.get("components") or []):
        _walk_custom_ids(errs, f"{path}.components.{j}", child)
    for key in ("accessory", "component"):
        if isinstance(comp.get(key), dict):
            _walk_custom_ids(errs, f"{path}.{key}", comp[key])


def _check_item(errs: FormErrors, path: str, item: dict[str, Any]) -> None:
    kind = item.get("type")
    if kind == 2:
        style = item.get("style")
        check_length(errs, f"{path}.label", item.get("label"), MAX_BUTTON_LABEL)
        if style == 5:
            if not item.get("url"):
                errs.add(f"{path}.url", "BASE_TYPE_REQUIRED", "This field is required")
            if item.get("custom_id"):
                errs.add(f"{path}.custom_id", "BUTTON_LINK_CUSTOM_ID", "Link buttons take no id")
        elif style == 6:
            if not item.get("sku_id"):
                errs.add(f"{path}.sku_id", "BASE_TYPE_REQUIRED", "This field is required")
        else:
            if not item.get("custom_id"):
                errs.add(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
            _check_custom_id(errs, path, item)
        if not item.get("label") and not item.get("emoji") and style != 6:
            errs.add(path, "BUTTON_LABEL_OR_EMOJI", "A button needs a label or an emoji")
    elif kind in (3, 5, 6, 7, 8):
        _check_custom_id(errs, path, item)
        options = item.get("options") or []
        if kind == 3 and not 1 <= len(options) <= MAX_SELECT_OPTIONS:
            errs.bad_length(f"{path}.options", 1, MAX_SELECT_OPTIONS)
        for k, opt in enumerate(options):
            check_length(errs, f"{path}.options.{k}.label", opt.get("label"), 100, low=1)
            check_length(errs, f"{path}.options.{k}.value", opt.get("value"), 100, low=1)
            check_length(errs, f"{path}.options.{k}.description", opt.get("description"), 100)
        check_length(errs, f"{path}.placeholder", item.get("placeholder"), 150)
    elif kind == 4:
        errs.add(path, "COMPONENT_TYPE_INVALID", "Text inputs are only valid in modals")


def check_message(
    errs: FormErrors,
    body: dict[str, Any],
    *,
    allow_ephemeral: bool = False,
) -> None:
    """A message create or edit body (channel message, interaction response, webhook).
    Emptiness is checked by the caller: Discord answers it with its own code (50006)."""
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        errs.add("content", "STRING_TYPE_CONVERT", "Must be a string.")
    check_length(errs, "content", content, MAX_CONTENT)
    check_embeds(errs, body.get("embeds"))
    flags = int(body.get("flags") or 0)
    if flags & ~ALLOWED_MESSAGE_FLAGS:
        errs.add("flags", "MESSAGE_FLAGS_INVALID", "Invalid message flags")
    if flags & 64 and not allow_ephemeral:
        errs.add("flags", "MESSAGE_FLAGS_INVALID", "Ephemeral is only valid for interactions")
    check_components(errs, body.get("components"), flags)
    if flags & COMPONENTS_V2 and (body.get("content") or body.get("embeds")):
        errs.add(
            "content",
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' and 'embeds' fields cannot be used with components v2",
        )
    ids = [c.get("custom_id") for c in _all_components(body.get("components") or [])]
    ids = [i for i in ids if i]
    if len(ids) != len(set(ids)):
        errs.add(
            "components",
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        )
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > MAX_NONCE:
        errs.too_long("nonce", MAX_NONCE)
    mentions = body.get("allowed_mentions")
    if isinstance(mentions, dict):
        parse = mentions.get("parse") or []
        for key in ("users", "roles"):
            if key in parse and mentions.get(key):
                errs.add(
                    f"allowed_mentions.{key}",
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{key}"] and {key}: [ids...] are mutually exclusive.',
                )


def is_nonempty(body: dict[str, Any]) -> bool:
    return bool(
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("attachments")
        or body.get("poll")
    )


def check_thread_fields(errs: FormErrors, body: dict[str, Any], *, creating: bool) -> None:
    name = body.get("name")
    if creating or name is not None:
        check_length(errs, "name", name, MAX_THREAD_NAME, low=1, required=True)
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        errs.add(
            "auto_archive_duration",
            "BASE_TYPE_CHOICES",
            f"Value must be one of {sorted(ARCHIVE_DURATIONS)}.",
        )
    slow = body.get("rate_limit_per_user")
    if slow is not None and not 0 <= int(slow) <= MAX_SLOWMODE:
        errs.add("rate_limit_per_user", "NUMBER_TYPE_MAX", f"Must be {MAX_SLOWMODE} or less.")
    tags = body.get("applied_tags")
    if tags is not None and len(tags) > MAX_APPLIED_TAGS:
        errs.too_long("applied_tags", MAX_APPLIED_TAGS)


def check_forum_tags(errs: FormErrors, tags: Any) -> None:
    if not isinstance(tags, list):
        errs.add("available_tags", "LIST_TYPE_CONVERT", "Must be an array.")
        return
    if len(tags) > MAX_FORUM_TAGS:
        errs.too_long("available_tags", MAX_FORUM_TAGS)
    names: set[str] = set()
    for i, tag in enumerate(tags):
        name = tag.get("name")
        check_length(errs, f"available_tags.{i}.name", name, MAX_TAG_NAME, low=1, required=True)
        if isinstance(name, str):
            if name in names:
                errs.add(f"available_tags.{i}.name", "DUPLICATE", "Tag names must be unique")
            names.add(name)


def check_choices(errs: FormErrors, choices: Any, path: str = "data.choices") -> None:
    if not isinstance(choices, list):
        errs.add(path, "LIST_TYPE_CONVERT", "Must be an array.")
        return
    if len(choices) > MAX_CHOICES:
        errs.too_long(path, MAX_CHOICES)
    for i, choice in enumerate(choices):
        check_length(
            errs, f"{path}.{i}.name", choice.get("name"), MAX_CHOICE_NAME, low=1, required=True
        )
        value = choice.get("value")
        if isinstance(value, str):
            check_length(errs, f"{path}.{i}.value", value, 100)


def check_modal(errs: FormErrors, data: dict[str, Any]) -> None:
    check_length(errs, "data.title", data.get("title"), MAX_MODAL_TITLE, low=1, required=True)
    check_length(errs, "data.custom_id", data.get("custom_id"), MAX_CUSTOM_ID, low=1, required=True)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errs.bad_length("data.components", 1, 5)
    for i, comp in enumerate(components):
        p = f"data.components.{i}"
        inner = comp.get("components") or ([comp["component"]] if comp.get("component") else [])
        if comp.get("type") == 18:
            check_length(errs, f"{p}.label", comp.get("label"), 45, low=1, required=True)
        for j, item in enumerate(inner):
            q = f"{p}.components.{j}"
            _check_custom_id(errs, q, item)
            if item.get("type") == 4:
                check_length(errs, f"{q}.label", item.get("label"), 45)
                check_length(errs, f"{q}.placeholder", item.get("placeholder"), 100)
                check_length(errs, f"{q}.value", item.get("value"), MAX_TEXT_INPUT_VALUE)
                for key in ("min_length", "max_length"):
                    v = item.get(key)
                    if v is not None and not 0 <= int(v) <= MAX_TEXT_INPUT_VALUE:
                        errs.add(f"{q}.{key}", "NUMBER_TYPE_MAX", "Must be 4000 or less.")


def check_command(errs: FormErrors, cmd: dict[str, Any], path: str) -> None:
    kind = cmd.get("type", 1)
    name = cmd.get("name")
    if kind == 1:
        if not isinstance(name, str) or not _CHAT_NAME.match(name) or name != name.lower():
            errs.add(f"{path}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        check_length(errs, f"{path}.description", cmd.get("description"), 100, low=1, required=True)
        _check_options(errs, cmd.get("options") or [], f"{path}.options", depth=0)
    else:
        check_length(errs, f"{path}.name", name, 32, low=1, required=True)
        if cmd.get("description"):
            errs.add(
                f"{path}.description", "BASE_TYPE_MAX_LENGTH", "Must be empty for context menus"
            )
        if cmd.get("options"):
            errs.add(f"{path}.options", "BASE_TYPE_MAX_LENGTH", "Context menus take no options")


def _check_options(errs: FormErrors, options: list[dict[str, Any]], path: str, depth: int) -> None:
    if len(options) > MAX_OPTIONS:
        errs.too_long(path, MAX_OPTIONS)
    seen: set[str] = set()
    optional_seen = False
    for i, opt in enumerate(options):
        p = f"{path}.{i}"
        name = opt.get("name")
        if not isinstance(name, str) or not _CHAT_NAME.match(name) or name != name.lower():
            errs.add(f"{p}.name", "APPLICATION_COMMAND_INVALID_NAME", "Option name is invalid")
        elif name in seen:
            errs.add(
                f"{p}.name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Duplicate name"
            )
        seen.add(str(name))
        check_length(errs, f"{p}.description", opt.get("description"), 100, low=1, required=True)
        kind = opt.get("type")
        if kind in (1, 2):
            if (kind == 1 and depth > 1) or (kind == 2 and depth > 0):
                errs.add(f"{p}.type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Nesting too deep")
            _check_options(errs, opt.get("options") or [], f"{p}.options", depth + 1)
            continue
        if opt.get("required"):
            if optional_seen:
                errs.add(
                    f"{p}.required",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = opt.get("choices")
        if choices:
            check_choices(errs, choices, f"{p}.choices")
            if opt.get("autocomplete"):
                errs.add(
                    f"{p}.autocomplete",
                    "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES",
                    "Autocomplete cannot be set with choices",
                )
        for key in ("min_length", "max_length"):
            v = opt.get(key)
            if v is not None and not 0 <= int(v) <= 6000:
                errs.add(f"{p}.{key}", "NUMBER_TYPE_MAX", "Must be 6000 or less.")


def check_command_list(errs: FormErrors, commands: Any) -> None:
    if not isinstance(commands, list):
        errs.add("_", "LIST_TYPE_CONVERT", "Must be an array.")
        return
    per_type: dict[int, set[str]] = {}
    for i, cmd in enumerate(commands):
        check_command(errs, cmd, str(i))
        kind = int(cmd.get("type", 1))
        names = per_type.setdefault(kind, set())
        if cmd.get("name") in names:
            errs.add(f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate command name")
        names.add(str(cmd.get("name")))
    if len(per_type.get(1, ())) > MAX_COMMANDS:
        errs.too_long("_", MAX_COMMANDS)
    for kind in (2, 3):
        if len(per_type.get(kind, ())) > MAX_CONTEXT_COMMANDS:
            errs.too_long("_", MAX_CONTEXT_COMMANDS)
