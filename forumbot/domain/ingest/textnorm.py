"""Text normalisation shared by every format: whitespace, control characters, titles, slugs.

Punctuation is never rewritten (curly quotes, dashes and ellipses are the author's); only
whitespace is tidied and invisible control characters are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_TITLE_CHARS = 300
# A month name or its abbreviation ("Sept.", "march"), lower case: for patterns compiled
# case-insensitively (bylines' trailing dates, forum post headers).
MONTH_PATTERN = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"

# Horizontal whitespace of any kind (NBSP, thin spaces, ideographic space, tabs...).
_HSPACE_RUN = re.compile(r"[^\S\n]+")
# C0/C1 controls except tab and newline, plus DEL. Zero-width chars are kept out too.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2060\ufeff]")
_LIST_ITEM = re.compile(r"(?:[-*+•·‣◦]|\d{1,3}[.)]|[a-z]\))\s")  # "- x", "1. x", "a) x"
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


# The same characters counted on the UTF-8 bytes, where C (bytes.translate, a literal-prefix
# byte search, str.__contains__) does in ~0.4 ms what the character class above does in ~1.2 ms
# on a 170 kB page: C0 controls and DEL are single bytes that never occur inside a multi-byte
# sequence; C1 controls are \xc2 followed by 0x80-0x9f.
_C0_BYTES = bytes(range(0x09)) + bytes(range(0x0B, 0x20)) + b"\x7f"
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_ZERO_WIDTH = ("\u200b", "\u2060", "\ufeff")


def count_controls(text: str) -> int:
    data = text.encode("utf-8", "surrogatepass")
    count = len(data) - len(data.translate(None, _C0_BYTES))
    if not text.isascii():
        count += len(_C1_UTF8.findall(data))
        count += sum(text.count(ch) for ch in _ZERO_WIDTH if ch in text)
    return count


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def normalise_newlines(text: str) -> str:
    if "\r" not in text:
        return text  # two copies of a large page saved
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_space(text: str) -> str:
    """Collapse every horizontal whitespace run (NBSP included) to one space and strip."""
    if "\n" not in text:
        return " ".join(text.split())  # str.split knows Unicode spaces and is much faster
    return _HSPACE_RUN.sub(" ", text).strip()


def is_list_item(line: str) -> bool:
    return _LIST_ITEM.match(line) is not None


def join_lines(lines: Iterable[str]) -> str:
    """One paragraph from its lines: lines are joined with a space, except list items, which
    keep their own line so that a list stays a list."""
    out: list[list[str]] = []
    for raw in lines:
        line = normalise_space(raw)
        if not line:
            continue
        if out and not is_list_item(line):
            out[-1].append(line)
        else:
            out.append([line])
    return "\n".join(" ".join(parts) for parts in out)


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each normalised with `join_lines`."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(join_lines(current))
            current = []
    if current:
        paragraphs.append(join_lines(current))
    return [p for p in paragraphs if p]


def clean_title(title: str, warnings: list[str]) -> str:
    """A single-line title of at most MAX_TITLE_CHARS characters (cut at a word, with …)."""
    single = normalise_space(title.replace("\n", " "))
    if len(single) <= MAX_TITLE_CHARS:
        return single
    warnings.append(f"title truncated to {MAX_TITLE_CHARS} characters")
    return shorten(single, MAX_TITLE_CHARS)


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary so that it fits `limit` characters including the …."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–—-") + "…"


def slugify(text: str, max_len: int = 60) -> str:
    """Lowercase ASCII slug; accents are folded, everything else becomes '-'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_DROP.sub("-", folded.lower()).strip("-")
    if len(slug) > max_len:
        slug = slug[:max_len].rsplit("-", 1)[0] or slug[:max_len]
    return slug or "item"
