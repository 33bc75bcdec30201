"""A page's character set: the Content-Type header's, else the page's own <meta>, else None
(the HTML pipeline then makes its own guess: UTF-8, else Windows-1252)."""

from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]{1,40})""", re.IGNORECASE)
SNIFF_BYTES = 4096


def header_charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            return _known(value.strip().strip("\"'"))
    return None


def meta_charset(body: bytes) -> str | None:
    """<meta charset="..."> or <meta http-equiv="Content-Type" content="...; charset=...">."""
    found = _META.search(body[:SNIFF_BYTES])
    return _known(found.group(1).decode("ascii", "ignore")) if found else None


def _known(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def as_utf8(body: bytes, charset: str | None) -> bytes:
    """The body re-encoded as UTF-8 when its charset is known; as it came otherwise."""
    if charset is None or charset == "utf-8":
        return body
    if charset.startswith(("utf-16", "utf-32")):
        return body  # BOM-marked; the pipeline decodes those itself
    return body.decode(charset, "replace").encode("utf-8")
