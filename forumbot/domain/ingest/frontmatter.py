"""YAML front matter (`---` ... `---` at the top of a Markdown file), validated strictly."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import IngestError
from .shapes import SHAPES

KNOWN_KEYS = frozenset({"title", "author", "date", "source", "tags", "id", "shape"})
_OPEN = re.compile(r"---[^\S\n]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[^\S\n]*$", re.MULTILINE)
# libyaml's safe loader when available: same results, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Bounds that keep one file's front matter linear and small whatever it holds: aliases are
# refused outright (nine nested aliases in 374 bytes expand to billions of values), nesting
# is shallow in any real front matter, and tags are capped (only 5 become forum tags).
MAX_DEPTH = 10
MAX_FRONT_MATTER_CHARS = 64 * 1024
MAX_TAGS = 100
MAX_TAG_CHARS = 100


@dataclass(frozen=True, slots=True)
class FrontMatter:
    title: str | None = None
    author: str | None = None
    date: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = ()
    id: str | None = None
    shape: str | None = None


def split_front_matter(text: str, warnings: list[str]) -> tuple[FrontMatter, str]:
    """(front matter, body). A file without an opening `---` line has empty front matter."""
    opening = _OPEN.match(text)
    if opening is None:
        return FrontMatter(), text
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        raise IngestError("front matter: no closing '---' line")
    raw = text[opening.end() : closing.start()]
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        raise IngestError(f"front matter: longer than {MAX_FRONT_MATTER_CHARS // 1024} KiB")
    body = text[closing.end() :]
    try:
        _check_events(raw)
        data = yaml.load(raw, Loader=_LOADER) if raw.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise IngestError(f"front matter: invalid YAML{where}: {problem}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors raise these for values such as 2021-02-30.
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise IngestError(f"front matter: invalid value ({detail})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise IngestError("front matter: expected 'key: value' lines")
    return _validate(data, warnings), body


def _check_events(raw: str) -> None:
    """Refuse aliases and deep nesting from the event stream, before any value is built."""
    depth = 0
    for event in yaml.parse(raw, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise IngestError("front matter: YAML aliases (*name) are not allowed")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise IngestError(f"front matter: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _validate(data: dict[Any, Any], warnings: list[str]) -> FrontMatter:
    unknown = sorted(str(key) for key in data if key not in KNOWN_KEYS)
    if unknown:
        warnings.append(f"front matter: ignored unknown key(s): {', '.join(unknown)}")
    shape = _text(data, "shape")
    if shape is not None and shape not in SHAPES:
        raise IngestError(f"front matter: shape must be one of {', '.join(sorted(SHAPES))}")
    return FrontMatter(
        title=_text(data, "title"),
        author=_text(data, "author"),
        date=_date(data.get("date")),
        source=_text(data, "source"),
        tags=_tags(data.get("tags"), warnings),
        id=_identifier(data.get("id")),
        shape=shape,
    )


def _text(data: dict[Any, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError(f"front matter: {key} must be a string, not {_kind(value)}")
    value = " ".join(value.split())
    return value or None


def _identifier(value: Any) -> str | None:
    # Numbers are fine as ids (`id: 42`); their text form is the key.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise IngestError(f"front matter: id must be a string, not {_kind(value)}")
    text = str(value).strip()
    if not text or any(ch.isspace() for ch in text) or len(text) > 200:
        raise IngestError("front matter: id must be non-empty, at most 200 chars, no spaces")
    return text


def _date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            pass
    raise IngestError(f"front matter: date must be an ISO date (YYYY-MM-DD), got {value!r}")


def _tags(value: Any, warnings: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise IngestError("front matter: tags must be a list of strings")
    seen: dict[str, None] = {}
    for tag in value:
        cleaned = " ".join(tag[: MAX_TAG_CHARS * 4].split())[:MAX_TAG_CHARS].strip()
        if cleaned:
            seen.setdefault(cleaned, None)
            if len(seen) == MAX_TAGS:
                break
    if len(seen) == MAX_TAGS and len(value) > MAX_TAGS:
        warnings.append(f"front matter: kept the first {MAX_TAGS} tags of {len(value)}")
    if any(len(tag) > MAX_TAG_CHARS for tag in value):
        warnings.append(f"front matter: tags cut to {MAX_TAG_CHARS} characters")
    return tuple(seen)


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a mapping", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
